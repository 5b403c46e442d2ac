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
 * Fetch again a student's submission the bridge could not take in (the cause is fixed since).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_bridge\local\teacher_requests;

$cmid = required_param('cmid', PARAM_INT);
$userid = required_param('userid', PARAM_INT);
$returnurl = optional_param('returnurl', '', PARAM_LOCALURL);
[$course, $cm] = get_course_and_cm_from_cmid($cmid);
require_login($course, false, $cm);
require_sesskey();
teacher_requests::check($cm);

$back = $returnurl !== '' ? new moodle_url($returnurl) : new moodle_url('/local/bridge/grading.php', ['cmid' => $cm->id]);
$kind = $cm->modname === 'assign' ? 'assign_submission' : 'quiz_attempt';
$student = core_user::get_user($userid, '*', MUST_EXIST);
try {
    $answer = teacher_requests::client()->refetch($kind, (int) $cm->id, (int) $student->id, (int) $USER->id);
    $message = get_string($answer['refetched'] ? 'refetch_done' : 'refetch_waiting', 'local_bridge', fullname($student));
    \core\notification::add($message, \core\notification::SUCCESS);
} catch (\RuntimeException | \InvalidArgumentException $e) {
    \core\notification::add(get_string('refetch_failed', 'local_bridge', s($e->getMessage())), \core\notification::ERROR);
}
redirect($back);
