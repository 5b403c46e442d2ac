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
 * Download the exercise the bridge grades an activity (or a quiz question) with, as a zip.
 *
 * The zip is what the bridge stores, the version that grades new submissions: unzip it, try it
 * with `grader check <zip> --solution ... --wrong ...`, upload it again in the Autograding section.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/filelib.php');

use local_bridge\local\activity_settings;
use local_bridge\local\outbox;

$cmid = required_param('cmid', PARAM_INT);
$entryid = optional_param('entryid', 0, PARAM_INT);
[$course, $cm] = get_course_and_cm_from_cmid($cmid);
require_login($course, false, $cm);
$context = context_module::instance($cm->id);
require_capability('local/bridge:configure', $context);
if (!in_array($cm->modname, activity_settings::MODULES, true) || ($cm->modname === 'quiz') !== ($entryid > 0)) {
    throw new moodle_exception('invalidparameter', 'debug');
}

$back = $cm->modname === 'quiz'
    ? new moodle_url('/local/bridge/questions.php', ['cmid' => $cm->id])
    : new moodle_url('/course/modedit.php', ['update' => $cm->id]);
$problem = null;
try {
    $response = outbox::client(60)->download_exercise(
        (string) get_config('local_bridge', 'siteid'),
        (int) $cm->id,
        $cm->modname,
        $entryid ?: null
    );
    if ($response->status === 404) {
        $problem = get_string('exercisenotlinked', 'local_bridge');
    } else if (!$response->is_success()) {
        $problem = get_string('status_unreachable', 'local_bridge') . ": HTTP {$response->status}";
    }
} catch (InvalidArgumentException $e) {
    $problem = get_string('notconfigured', 'local_bridge');
} catch (RuntimeException $e) {
    $problem = get_string('status_unreachable', 'local_bridge') . ': ' . s($e->getMessage());
}
if ($problem !== null) {
    redirect($back, $problem, null, \core\output\notification::NOTIFY_ERROR);
}
$name = clean_filename(format_string($cm->name) . ($entryid ? "-question-{$entryid}" : '') . '-exercise.zip');
send_file($response->body, $name, 0, 0, true, true, 'application/zip');
