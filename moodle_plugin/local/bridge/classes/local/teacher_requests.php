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

namespace local_bridge\local;

use local_bridge\signer;
use local_bridge\teacher_client;

/**
 * The teacher pages' way to the bridge: a {@see teacher_client} from the plugin's settings.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class teacher_requests {
    /**
     * A client signed with this site's secret.
     *
     * @param int $timeout total seconds one request may take
     * @return teacher_client
     * @throws \InvalidArgumentException when the URL, secret or site identifier is not configured
     */
    public static function client(int $timeout = 20): teacher_client {
        $config = get_config('local_bridge');
        return new teacher_client(
            new curl_transport($timeout, 5),
            new signer((string) ($config->secret ?? ''), (string) ($config->siteid ?? '')),
            (string) ($config->bridgeurl ?? ''),
            (string) ($config->siteid ?? '')
        );
    }

    /**
     * The context of an autograded activity, with the teacher's capability checked.
     *
     * Call after require_login($course, false, $cm). Viewing needs the activity's grade
     * capability (mod/assign:grade, mod/quiz:grade).
     *
     * @param \cm_info $cm the activity
     * @return \context_module
     */
    public static function check(\cm_info $cm): \context_module {
        if (!in_array($cm->modname, activity_settings::MODULES, true)) {
            throw new \moodle_exception('invalidcoursemodule');
        }
        $context = \context_module::instance($cm->id);
        require_capability("mod/{$cm->modname}:grade", $context);
        return $context;
    }
}
