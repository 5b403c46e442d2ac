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
 * One student's grade history in one activity (or one submission/attempt), from the bridge.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_bridge\local\teacher_requests;
use local_bridge\output\results_view;

$cmid = required_param('cmid', PARAM_INT);
$userid = required_param('userid', PARAM_INT);
$itemid = optional_param('itemid', 0, PARAM_INT);
[$course, $cm] = get_course_and_cm_from_cmid($cmid);
require_login($course, false, $cm);
$context = teacher_requests::check($cm);
$student = core_user::get_user($userid, '*', MUST_EXIST);

$PAGE->set_url(new moodle_url('/local/bridge/history.php', ['cmid' => $cm->id, 'userid' => $userid, 'itemid' => $itemid]));
$PAGE->set_title(get_string('history', 'local_bridge'));
$PAGE->set_heading(format_string($course->fullname, true, ['context' => $context]));

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('history', 'local_bridge') . ': ' . fullname($student) . ', ' .
    format_string($cm->name, true, ['context' => $context]));
echo html_writer::tag('p', get_string('history_desc', 'local_bridge'));
try {
    $entries = teacher_requests::client(10)->history($userid, (int) $cm->id, $itemid ?: null);
    echo results_view::history_table($entries);
} catch (\RuntimeException | \InvalidArgumentException $e) {
    echo $OUTPUT->notification(get_string('bridgeunavailable', 'local_bridge', s($e->getMessage())), 'error');
}
echo html_writer::link(new moodle_url('/local/bridge/results.php', ['cmid' => $cm->id]), get_string('resultspage', 'local_bridge'));
echo $OUTPUT->footer();
