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
 * Admin settings.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

if ($ADMIN->fulltree) {
    $settings->add(new admin_setting_heading(
        'auth_jwtsso/intro',
        '',
        new lang_string('settingsintro', 'auth_jwtsso', (new moodle_url('/auth/jwtsso/login.php'))->out())
    ));

    $settings->add(new admin_setting_configtext(
        'auth_jwtsso/jwksurl',
        new lang_string('jwksurl', 'auth_jwtsso'),
        new lang_string('jwksurl_desc', 'auth_jwtsso'),
        '',
        PARAM_URL
    ));
    $settings->add(new admin_setting_configtext(
        'auth_jwtsso/issuer',
        new lang_string('issuer', 'auth_jwtsso'),
        new lang_string('issuer_desc', 'auth_jwtsso'),
        '',
        PARAM_RAW_TRIMMED
    ));
    $settings->add(new admin_setting_configtext(
        'auth_jwtsso/audience',
        new lang_string('audience', 'auth_jwtsso'),
        new lang_string('audience_desc', 'auth_jwtsso'),
        '',
        PARAM_RAW_TRIMMED
    ));
    $settings->add(new admin_setting_configselect(
        'auth_jwtsso/mapfield',
        new lang_string('mapfield', 'auth_jwtsso'),
        new lang_string('mapfield_desc', 'auth_jwtsso'),
        'username',
        [
            'username' => new lang_string('username'),
            'email' => new lang_string('email'),
            'idnumber' => new lang_string('idnumber'),
        ]
    ));
    $settings->add(new admin_setting_configcheckbox(
        'auth_jwtsso/autocreate',
        new lang_string('autocreate', 'auth_jwtsso'),
        new lang_string('autocreate_desc', 'auth_jwtsso'),
        0
    ));
    $settings->add(new admin_setting_configcheckbox(
        'auth_jwtsso/allowtakeover',
        new lang_string('allowtakeover', 'auth_jwtsso'),
        new lang_string('allowtakeover_desc', 'auth_jwtsso'),
        0
    ));
    $settings->add(new admin_setting_configtext(
        'auth_jwtsso/leeway',
        new lang_string('leeway', 'auth_jwtsso'),
        new lang_string('leeway_desc', 'auth_jwtsso'),
        30,
        PARAM_INT,
        5
    ));
    $settings->add(new admin_setting_configtext(
        'auth_jwtsso/bridgeloginurl',
        new lang_string('bridgeloginurl', 'auth_jwtsso'),
        new lang_string('bridgeloginurl_desc', 'auth_jwtsso'),
        '',
        PARAM_URL
    ));
}
