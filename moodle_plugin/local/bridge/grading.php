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
 * Autograding state of each student's latest submission of one activity, for its teachers.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

$cmid = required_param('cmid', PARAM_INT);
$page = optional_param('page', 0, PARAM_INT);
[$course, $cm] = get_course_and_cm_from_cmid($cmid);
require_login($course, false, $cm);
$context = context_module::instance($cm->id);
if (!in_array($cm->modname, ['assign', 'quiz'], true)) {
    throw new moodle_exception('invalidcoursemodule');
}
require_capability("mod/{$cm->modname}:grade", $context);

$PAGE->set_url(new moodle_url('/local/bridge/grading.php', ['cmid' => $cm->id, 'page' => $page]));
$PAGE->set_title(get_string('gradingpage', 'local_bridge'));
$PAGE->set_heading(format_string($course->fullname, true, ['context' => $context]));

$perpage = 100;
$capability = $cm->modname === 'assign' ? 'mod/assign:submit' : 'mod/quiz:attempt';
$total = count_enrolled_users($context, $capability);
$students = get_enrolled_users($context, $capability, 0, 'u.id', 'u.lastname, u.firstname, u.id', $page * $perpage, $perpage);

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('gradingpage', 'local_bridge') . ': ' . format_string($cm->name, true, ['context' => $context]));
if (!\local_bridge\local\grading_states::is_autograded($cm)) {
    echo $OUTPUT->notification(get_string('state_notautograded', 'local_bridge'), 'info');
} else if (!$students) {
    echo $OUTPUT->notification(get_string('gradingpage_none', 'local_bridge'), 'info');
} else {
    echo \local_bridge\output\state_table::render(
        \local_bridge\grading_state::keys($cm->modname, (int) $cm->id, array_keys($students)),
        false
    );
    echo $OUTPUT->paging_bar($total, $page, $perpage, $PAGE->url);
}
echo $OUTPUT->footer();
