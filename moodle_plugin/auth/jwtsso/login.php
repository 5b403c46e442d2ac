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
 * Login endpoint: the bridge auto-submits a form that POSTs the field "token" here.
 *
 * The token is never accepted from the query string, so it cannot end up in access logs,
 * browser history or Referer headers.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

// phpcs:ignore moodle.Files.RequireLogin.Missing -- this page is how users log in.
require(__DIR__ . '/../../config.php');
require_once($CFG->dirroot . '/login/lib.php');

$PAGE->set_url(new moodle_url('/auth/jwtsso/login.php'));
$PAGE->set_context(context_system::instance());

if (!is_enabled_auth('jwtsso')) {
    throw new moodle_exception('notenabled', 'auth_jwtsso');
}
$data = data_submitted();
$token = is_object($data) && isset($data->token) && is_string($data->token) ? trim($data->token) : '';
if ($_SERVER['REQUEST_METHOD'] !== 'POST' || $token === '') {
    throw new moodle_exception('tokenmissing', 'auth_jwtsso');
}

/** @var auth_plugin_jwtsso $auth */
$auth = get_auth_plugin('jwtsso');
try {
    $landing = $auth->login_with_token($token);
} catch (\auth_jwtsso\invalid_token_exception | \auth_jwtsso\mapping_exception $e) {
    $failure = $e instanceof \auth_jwtsso\mapping_exception && $e->reason === 'user_suspended'
        ? AUTH_LOGIN_SUSPENDED : AUTH_LOGIN_FAILED;
    \core\event\user_login_failed::create(['other' => ['username' => '', 'reason' => $failure]])->trigger();
    $message = get_string('loginrefused', 'auth_jwtsso', $e->reason);
    if (debugging('', DEBUG_DEVELOPER)) {
        // The detail goes with the notice: debugging() output before redirect() stops the redirect
        // (an interstitial page, then core's "mutated the session after it was closed").
        $message .= ' ' . s($e->getMessage());
    }
    redirect(get_login_url(), $message, null, \core\output\notification::NOTIFY_ERROR);
}
redirect($landing);
