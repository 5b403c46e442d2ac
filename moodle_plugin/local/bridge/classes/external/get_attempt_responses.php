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

namespace local_bridge\external;

use core_external\external_api;
use core_external\external_function_parameters;
use core_external\external_multiple_structure;
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;
use local_bridge\local\question_links;
use local_bridge\question_grading;
use local_bridge\quiz_response;
use mod_quiz\quiz_attempt;

/**
 * The responses of the linked questions of one finished quiz attempt, as plain text.
 *
 * Read from the question engine (the `answer` variable of each question attempt), never from
 * review HTML. Only questions linked to an exercise (local_bridge_question, keyed by question
 * bank entry) are returned, each with its sequence check, to be passed back to
 * local_bridge_save_question_grade, and who graded it by hand last.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_attempt_responses extends external_api {
    /** @var int most linked questions one attempt may return */
    public const MAX_QUESTIONS = 100;

    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'attemptid' => new external_value(PARAM_INT, 'quiz_attempts.id'),
        ]);
    }

    /**
     * Read the linked responses of an attempt.
     *
     * @param int $attemptid quiz attempt id
     * @return array
     */
    public static function execute(int $attemptid): array {
        global $CFG;
        require_once($CFG->dirroot . '/mod/quiz/locallib.php');

        ['attemptid' => $attemptid] = self::validate_parameters(self::execute_parameters(), ['attemptid' => $attemptid]);

        $attemptobj = quiz_attempt::create($attemptid);
        $context = $attemptobj->get_context();
        self::validate_context($context);
        require_capability('mod/quiz:grade', $context);
        if ($attemptobj->get_state() !== quiz_attempt::FINISHED || $attemptobj->is_preview()) {
            throw new \moodle_exception('attemptnotfinished', 'local_bridge');
        }

        $linked = array_flip(question_links::linked_entries((int) $attemptobj->get_cmid()));
        $questionids = [];
        foreach ($attemptobj->get_slots() as $slot) {
            $questionids[(int) $slot] = (int) $attemptobj->get_question_attempt($slot)->get_question_id();
        }
        $entries = question_links::entries_of($questionids);
        $htmltotext = static fn(string $html): string => html_to_text($html, 0, false);

        $questions = [];
        foreach ($questionids as $slot => $questionid) {
            $entryid = $entries[$questionid] ?? 0;
            if (!isset($linked[$entryid])) {
                continue;
            }
            if (count($questions) >= self::MAX_QUESTIONS) {
                throw new \moodle_exception('toomanyquestions', 'local_bridge', '', self::MAX_QUESTIONS);
            }
            $qa = $attemptobj->get_question_attempt($slot);
            $response = quiz_response::from_stored(
                $qa->get_last_qt_var('answer'),
                $qa->get_last_qt_var('answerformat'),
                $htmltotext
            );
            $maxmark = (float) $qa->get_max_mark();
            $mark = $qa->get_mark();
            $questions[] = [
                'slot' => $slot,
                'questionid' => $questionid,
                'questionbankentryid' => $entryid,
                'qtype' => (string) $qa->get_question(false)->qtype->name(),
                'maxmark' => $maxmark,
                'response' => $response->text,
                'responseformat' => $response->format,
                'responsebytes' => $response->bytes,
                'truncated' => $response->truncated,
                'sequencecheck' => (int) $qa->get_sequence_check_count(),
                'state' => (string) $qa->get_state(),
                'mark' => $mark === null ? null : (float) $mark,
            ] + question_grading::last_manual_grade(question_grading::steps_of($qa), $maxmark);
        }

        $attempt = $attemptobj->get_attempt();
        return [
            'attemptid' => (int) $attempt->id,
            'quizid' => (int) $attemptobj->get_quizid(),
            'cmid' => (int) $attemptobj->get_cmid(),
            'courseid' => (int) $attemptobj->get_courseid(),
            'userid' => (int) $attempt->userid,
            'attempt' => (int) $attempt->attempt,
            'state' => (string) $attempt->state,
            'timefinish' => (int) $attempt->timefinish,
            // The quiz as loaded with the attempt has the user's and group overrides applied.
            'timeclose' => (int) $attemptobj->get_quiz()->timeclose,
            'sumgrades' => $attempt->sumgrades === null ? null : (float) $attempt->sumgrades,
            'questions' => $questions,
            'warnings' => [],
        ];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'attemptid' => new external_value(PARAM_INT, 'quiz_attempts.id'),
            'quizid' => new external_value(PARAM_INT, 'quiz.id'),
            'cmid' => new external_value(PARAM_INT, 'Course module id of the quiz'),
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'userid' => new external_value(PARAM_INT, 'Owner of the attempt'),
            'attempt' => new external_value(PARAM_INT, 'Attempt number, 1-based'),
            'state' => new external_value(PARAM_ALPHA, 'Attempt state: always finished'),
            'timefinish' => new external_value(PARAM_INT, 'When the attempt was submitted'),
            'timeclose' => new external_value(
                PARAM_INT,
                'When the quiz closes for this user (overrides applied), 0 when it never does',
                VALUE_OPTIONAL
            ),
            'sumgrades' => new external_value(PARAM_FLOAT, 'Sum of marks, null while a question needs grading'),
            'questions' => new external_multiple_structure(new external_single_structure([
                'slot' => new external_value(PARAM_INT, 'Slot in this attempt (changes when the quiz is reordered)'),
                'questionid' => new external_value(PARAM_INT, 'question.id of the version attempted'),
                'questionbankentryid' => new external_value(
                    PARAM_INT,
                    'Question bank entry id: the stable identity of the question'
                ),
                'qtype' => new external_value(PARAM_PLUGIN, 'Question type, essay for a gradable response'),
                'maxmark' => new external_value(PARAM_FLOAT, 'Maximum mark of the question in this quiz'),
                'response' => new external_value(PARAM_RAW, 'The response as plain text, line ends "\n"'),
                'responseformat' => new external_value(PARAM_INT, 'answerformat it was stored in (2 = plain text, 1 = HTML)'),
                'responsebytes' => new external_value(PARAM_INT, 'Size of the whole plain-text response in bytes'),
                'truncated' => new external_value(PARAM_BOOL, 'True when the response was longer than 262144 bytes and was cut'),
                'sequencecheck' => new external_value(PARAM_INT, 'Sequence check; pass it to local_bridge_save_question_grade'),
                'state' => new external_value(PARAM_ALPHANUMEXT, 'Question state, e.g. needsgrading, mangrright, mangrpartial'),
                'mark' => new external_value(PARAM_FLOAT, 'Current mark, null when not graded'),
                'gradedby' => new external_value(PARAM_INT, 'User who graded it by hand last, 0 when nobody did'),
                'gradedat' => new external_value(PARAM_INT, 'When that manual grade was given, 0 when never'),
                'gradedmark' => new external_value(PARAM_FLOAT, 'The mark of that manual grade on the current scale, or null'),
            ])),
            'warnings' => new external_warnings(),
        ]);
    }
}
