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
 * Autograded questions of a quiz: link essay questions to exercises, see the bridge's verdicts.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_bridge\exercise_verdict;
use local_bridge\local\exercise_files;
use local_bridge\local\question_links;
use mod_quiz\question\bank\qbank_helper;

$cmid = required_param('cmid', PARAM_INT);
[$course, $cm] = get_course_and_cm_from_cmid($cmid, 'quiz');
require_login($course, false, $cm);
$context = context_module::instance($cm->id);
require_capability('local/bridge:configure', $context);

$url = new moodle_url('/local/bridge/questions.php', ['cmid' => $cm->id]);
$PAGE->set_url($url);
$PAGE->set_context($context);
$PAGE->set_title(get_string('linkedquestions', 'local_bridge'));
$PAGE->set_heading(format_string($course->fullname));

// Essay questions by bank entry; random slots and other types cannot carry a program.
$questions = [];
foreach (qbank_helper::get_question_structure((int) $cm->instance, $context) as $slot) {
    if (($slot->qtype ?? '') === question_links::QTYPE && !empty($slot->questionbankentryid)) {
        $questions[(int) $slot->questionbankentryid] = $slot;
    }
}
$links = [];
foreach (array_keys($questions) as $entryid) {
    $links[$entryid] = question_links::get((int) $cm->id, $entryid);
}

$form = new \local_bridge\form\question_links_form($url, ['cmid' => $cm->id, 'questions' => $questions, 'links' => $links]);
if ($form->is_cancelled()) {
    redirect(new moodle_url('/mod/quiz/view.php', ['id' => $cm->id]));
}
if ($data = $form->get_data()) {
    $activity = ['course_id' => (int) $course->id, 'cmid' => (int) $cm->id, 'kind' => 'quiz', 'instance_id' => (int) $cm->instance];
    foreach ($questions as $entryid => $slot) {
        $draftitemid = (int) ($data->{"files_{$entryid}"} ?? 0);
        try {
            $draft = exercise_files::draft_files($draftitemid);
        } catch (\local_bridge\package_refused $e) {
            // The form's validation refuses this first; a draft changed since is told, not thrown.
            \core\notification::add(format_string($slot->name) . ': ' . s(exercise_files::message($e)), \core\notification::ERROR);
            continue;
        }
        $verdict = question_links::save(
            (int) $cm->id,
            !empty($data->{"linked_{$entryid}"}),
            (string) ($data->{"exercise_{$entryid}"} ?? ''),
            $activity,
            question_links::identity((int) $slot->questionid),
            $draft
        );
        // Kept per link (item = its row id), so the form shows them next time.
        $link = question_links::get((int) $cm->id, $entryid);
        if ($link) {
            exercise_files::save_draft($draftitemid, (int) $context->id, exercise_files::QUESTION_AREA, (int) $link->id);
        }
        if ($verdict !== null) {
            $message = format_string($slot->name) . ': ' . get_string('status_' . $verdict->status, 'local_bridge') .
                ($verdict->message !== '' ? ': ' . s($verdict->message) : '');
            \core\notification::add($message, $verdict->status === exercise_verdict::VALID
                ? \core\notification::SUCCESS : \core\notification::ERROR);
        }
    }
    redirect($url);
}

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('linkedquestions', 'local_bridge'));
echo html_writer::tag('p', get_string('linkedquestions_desc', 'local_bridge'));
if (!$questions) {
    echo $OUTPUT->notification(get_string('noessays', 'local_bridge'), \core\output\notification::NOTIFY_INFO);
}
$form->display();
echo $OUTPUT->footer();
