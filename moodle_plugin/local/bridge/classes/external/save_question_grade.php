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
use core_external\external_single_structure;
use core_external\external_value;
use core_external\external_warnings;
use local_bridge\question_grading;
use mod_quiz\quiz_attempt;

/**
 * Set the manual mark and comment of one question in a finished quiz attempt.
 *
 * Moodle has no core web service for manual quiz grading. This does what the quiz manual grading
 * report (mod/quiz/report/grading) does for one question: a manual-grade step on the question
 * attempt, then the attempt's sum of marks and the user's quiz grade (and so the gradebook) are
 * recomputed, all in one transaction, and \mod_quiz\event\question_manually_graded is triggered.
 * A repeat of the caller's last grade (same mark and comment) writes nothing and answers
 * `changed: false`; any other grade whose sequence check is not the current one is refused with
 * errorcode `questionchanged`.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class save_question_grade extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'attemptid' => new external_value(PARAM_INT, 'quiz_attempts.id'),
            'slot' => new external_value(PARAM_INT, 'Slot of the question in the attempt'),
            'mark' => new external_value(PARAM_FLOAT, 'Mark, between 0 and the question\'s maximum mark in this quiz'),
            'comment' => new external_value(PARAM_RAW, 'Feedback for the student', VALUE_DEFAULT, ''),
            'commentformat' => new external_value(PARAM_INT, 'Format of the comment', VALUE_DEFAULT, FORMAT_HTML),
            'sequencecheck' => new external_value(
                PARAM_INT,
                'Expected number of steps of the question attempt; refuses the grade when the question changed since ' .
                '(for example a teacher graded it by hand). -1 to skip the check',
                VALUE_DEFAULT,
                -1
            ),
        ]);
    }

    /**
     * Grade one question.
     *
     * @param int $attemptid quiz attempt id
     * @param int $slot slot number
     * @param float $mark mark
     * @param string $comment comment
     * @param int $commentformat comment format
     * @param int $sequencecheck expected step count, or -1
     * @return array
     */
    public static function execute(
        int $attemptid,
        int $slot,
        float $mark,
        string $comment = '',
        int $commentformat = FORMAT_HTML,
        int $sequencecheck = -1
    ): array {
        global $CFG, $DB, $USER;
        require_once($CFG->dirroot . '/mod/quiz/locallib.php');

        [
            'attemptid' => $attemptid, 'slot' => $slot, 'mark' => $mark, 'comment' => $comment,
            'commentformat' => $commentformat, 'sequencecheck' => $sequencecheck,
        ] = self::validate_parameters(self::execute_parameters(), [
            'attemptid' => $attemptid, 'slot' => $slot, 'mark' => $mark, 'comment' => $comment,
            'commentformat' => $commentformat, 'sequencecheck' => $sequencecheck,
        ]);

        $attemptobj = quiz_attempt::create($attemptid);
        $context = $attemptobj->get_context();
        self::validate_context($context);
        require_capability('mod/quiz:grade', $context);

        if ($attemptobj->get_state() !== quiz_attempt::FINISHED || $attemptobj->is_preview()) {
            throw new \moodle_exception('attemptnotfinished', 'local_bridge');
        }
        if (!in_array($slot, array_map('intval', $attemptobj->get_slots()), true)) {
            throw new \moodle_exception('invalidslot', 'local_bridge');
        }

        // One save per attempt at a time: each sums the marks of the usage it read, so two slots
        // graded at once would each see the other still ungraded and leave sumgrades null (seen
        // on a real site when the bridge delivered two essays of one attempt in parallel).
        $lock = \core\lock\lock_config::get_lock_factory('local_bridge_question_grade')
            ->get_lock('attempt_' . $attemptid, 30);
        if (!$lock) {
            throw new \moodle_exception('locktimeout');
        }
        try {
            // Everything below reads the usage afresh inside the transaction; two writers that both
            // pass the checks still cannot both add a step: question_attempt_steps is unique on
            // (questionattemptid, sequencenumber), so the second one fails and rolls back.
            $transaction = $DB->start_delegated_transaction();
            $quba = \question_engine::load_questions_usage_by_activity($attemptobj->get_uniqueid());
            $qa = $quba->get_question_attempt($slot);
            $maxmark = (float) $qa->get_max_mark();
            $fractions = [(float) $qa->get_min_fraction(), (float) $qa->get_max_fraction()];
            if (!question_grading::mark_in_range($mark, $maxmark, ...$fractions)) {
                // Roll the delegated transaction back and rethrow, rather than leaving it open.
                $transaction->rollback(new \moodle_exception('markoutofrange', 'local_bridge', '', format_float($maxmark, 2)));
            }
            $before = (int) $qa->get_sequence_check_count();
            $decision = question_grading::decide(
                question_grading::steps_of($qa),
                $before,
                $sequencecheck,
                $mark,
                $maxmark,
                $comment,
                $commentformat,
                (int) $USER->id
            );
            if ($decision === question_grading::STALE) {
                $transaction->rollback(new \moodle_exception('questionchanged', 'local_bridge'));
            }

            // Read under the lock: $attemptobj was loaded before it.
            $attempt = $DB->get_record('quiz_attempts', ['id' => $attemptid], '*', MUST_EXIST);
            $changed = false;
            if ($decision === question_grading::SAVE) {
                $quba->manual_grade($slot, $comment, $mark, $commentformat);
                // The engine itself discards a grade equal to the current one (same comment, mark).
                $changed = $quba->get_question_attempt($slot)->get_sequence_check_count() > $before;
            }
            if ($changed) {
                \question_engine::save_questions_usage_by_activity($quba);
                $attempt->sumgrades = $quba->get_total_mark();
                $attempt->timemodified = time();
                $DB->update_record('quiz_attempts', $attempt);
                $attemptobj->get_quizobj()->get_grade_calculator()->recompute_final_grade($attemptobj->get_userid());
            }
            $transaction->allow_commit();
        } finally {
            $lock->release();
        }

        if ($changed) {
            \mod_quiz\event\question_manually_graded::create([
                'objectid' => $qa->get_question_id(),
                'courseid' => $attemptobj->get_courseid(),
                'context' => $context,
                'other' => ['quizid' => $attemptobj->get_quizid(), 'attemptid' => $attemptid, 'slot' => $slot],
            ])->trigger();
        }

        $qa = $quba->get_question_attempt($slot);
        return [
            'attemptid' => $attemptid,
            'slot' => $slot,
            'state' => (string) $qa->get_state(),
            'mark' => (float) $qa->get_mark(),
            'maxmark' => $maxmark,
            'sumgrades' => $attempt->sumgrades === null ? null : (float) $attempt->sumgrades,
            'sequencecheck' => (int) $qa->get_sequence_check_count(),
            'changed' => $changed,
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
            'slot' => new external_value(PARAM_INT, 'Slot graded'),
            'state' => new external_value(PARAM_ALPHANUMEXT, 'New question state, e.g. mangrright, mangrpartial'),
            'mark' => new external_value(PARAM_FLOAT, 'Mark now stored'),
            'maxmark' => new external_value(PARAM_FLOAT, 'Maximum mark of the question in this quiz'),
            'sumgrades' => new external_value(PARAM_FLOAT, 'Sum of marks, null while a question needs grading'),
            'sequencecheck' => new external_value(PARAM_INT, 'Step count after grading; pass it next time'),
            'changed' => new external_value(PARAM_BOOL, 'False when this grade already was the question\'s: no new step'),
            'warnings' => new external_warnings(),
        ]);
    }
}
