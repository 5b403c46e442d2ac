<?php
// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * English strings.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$string['allowtakeover'] = 'Allow existing accounts of other methods';
$string['allowtakeover_desc'] = 'Let a token log in to an account that uses another authentication method (for example manual). The account keeps its method. Accounts with "No login" and site administrators are never reachable this way.';
$string['audience'] = 'Audience';
$string['audience_desc'] = 'Exact value the token\'s "aud" claim must be (or contain). Empty means this site\'s address (wwwroot).';
$string['auth_jwtssodescription'] = 'Users sign in once at the Moodle Bridge and enter Moodle with a short-lived, single-use token signed by the bridge\'s published keys. No password is stored in Moodle.';
$string['autocreate'] = 'Create missing accounts';
$string['autocreate_desc'] = 'Create a Moodle account (with this authentication method and no password) when no account matches the token.';
$string['bridgeloginurl'] = 'Bridge sign-in page';
$string['bridgeloginurl_desc'] = 'Optional. When set, the Moodle login page shows a button that leads there.';
$string['issuer'] = 'Issuer';
$string['issuer_desc'] = 'Exact value of the token\'s "iss" claim, for example https://bridge.example.org.';
$string['jwksnotconfigured'] = 'The JWKS URL of the bridge is not configured.';
$string['jwksunavailable'] = 'The bridge\'s signing keys could not be fetched.';
$string['jwksurl'] = 'JWKS URL';
$string['jwksurl_desc'] = 'Where the bridge publishes its public signing keys, for example https://bridge.example.org/api/v1/auth/jwks.json. Moodle\'s HTTP security settings block loopback and private addresses and ports other than 80 and 443: for a bridge on 127.0.0.1 or another port, remove the address from "cURL blocked hosts list" (curlsecurityblockedhosts) and add the port to "cURL allowed ports list" (curlsecurityallowedport).';
$string['leeway'] = 'Clock leeway (seconds)';
$string['leeway_desc'] = 'Tolerated clock difference with the bridge when checking exp, nbf and iat (0 to 300).';
$string['loginrefused'] = 'Single sign-on failed ({$a}). Please sign in at the bridge again.';
$string['mapfield'] = 'Match users by';
$string['mapfield_desc'] = 'Moodle user field compared with the token: username with "preferred_username", email address with "email", ID number with "sub" (the bridge\'s stable user id).';
$string['notenabled'] = 'Bridge single sign-on is not enabled on this site.';
$string['pluginname'] = 'Bridge single sign-on (JWT)';
$string['privacy:metadata'] = 'The Bridge single sign-on plugin stores no personal data: used token ids are kept as hashes, without a link to any user, until the tokens expire.';
$string['settingsintro'] = 'The bridge signs users in by POSTing a token (form field "token") to {$a}.';
$string['signinatbridge'] = 'Sign in with the Moodle Bridge';
$string['task_cleanup_jti'] = 'Forget expired single sign-on token ids';
$string['tokenmissing'] = 'No sign-on token was posted.';
