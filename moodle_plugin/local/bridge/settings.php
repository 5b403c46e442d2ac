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
 * Site settings.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

if ($hassiteconfig) {
    $settings = new admin_settingpage('local_bridge', new lang_string('pluginname', 'local_bridge'));
    $ADMIN->add('localplugins', $settings);
    $ADMIN->add('reports', new admin_externalpage(
        'local_bridge_status',
        new lang_string('statuspage', 'local_bridge'),
        new moodle_url('/local/bridge/status.php'),
        'local/bridge:viewstatus'
    ));
    $ADMIN->add('localplugins', new admin_externalpage(
        'local_bridge_testconnection',
        new lang_string('testconnection', 'local_bridge'),
        new moodle_url('/local/bridge/testconnection.php'),
        'moodle/site:config',
        true
    ));

    if ($ADMIN->fulltree) {
        $settings->add(new admin_setting_configtext(
            'local_bridge/bridgeurl',
            new lang_string('bridgeurl', 'local_bridge'),
            new lang_string('bridgeurl_desc', 'local_bridge'),
            '',
            PARAM_URL
        ));
        $settings->add(new admin_setting_configpasswordunmask(
            'local_bridge/secret',
            new lang_string('secret', 'local_bridge'),
            new lang_string('secret_desc', 'local_bridge'),
            ''
        ));
        $settings->add(new admin_setting_configtext(
            'local_bridge/siteid',
            new lang_string('siteid', 'local_bridge'),
            new lang_string('siteid_desc', 'local_bridge'),
            // An empty default fails the pattern: upgrade.php would report it and never store it.
            'moodle',
            '/^[A-Za-z0-9._-]{1,64}$/'
        ));
        $settings->add(new admin_setting_configcheckbox(
            'local_bridge/sendimmediately',
            new lang_string('sendimmediately', 'local_bridge'),
            new lang_string('sendimmediately_desc', 'local_bridge'),
            1
        ));
        $settings->add(new admin_setting_description(
            'local_bridge/testconnection',
            new lang_string('testconnection', 'local_bridge'),
            html_writer::link(
                new moodle_url('/local/bridge/testconnection.php'),
                get_string('testconnection_button', 'local_bridge'),
                ['class' => 'btn btn-secondary']
            )
        ));
    }
}
