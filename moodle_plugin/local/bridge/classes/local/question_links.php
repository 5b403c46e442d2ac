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

use local_bridge\exercise_verdict;

/**
 * Quiz questions linked to exercises (table local_bridge_question).
 *
 * A link is keyed by the quiz's course module and the question bank entry, never by the slot:
 * a slot number changes when a teacher reorders, adds or removes questions; the bank entry stays
 * the same through every new version of the question. A removed question's link simply finds no
 * slot; put back, it is linked again.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class question_links {
    /** @var string question type that can be linked: its response is the student's program */
    public const QTYPE = 'essay';

    /**
     * Bank entry ids of the questions of a quiz that are linked to an exercise.
     *
     * @param int $cmid quiz course module id
     * @return int[]
     */
    public static function linked_entries(int $cmid): array {
        global $DB;
        return array_map('intval', $DB->get_fieldset_select(
            'local_bridge_question',
            'questionbankentryid',
            'cmid = :cmid AND linked = 1',
            ['cmid' => $cmid]
        ));
    }

    /**
     * Whether a quiz has at least one linked question.
     *
     * @param int $cmid quiz course module id
     * @return bool
     */
    public static function has_linked(int $cmid): bool {
        global $DB;
        return $DB->record_exists('local_bridge_question', ['cmid' => $cmid, 'linked' => 1]);
    }

    /**
     * The link row of one question of a quiz, or null.
     *
     * @param int $cmid quiz course module id
     * @param int $entryid question bank entry id
     * @return \stdClass|null
     */
    public static function get(int $cmid, int $entryid): ?\stdClass {
        global $DB;
        return $DB->get_record('local_bridge_question', ['cmid' => $cmid, 'questionbankentryid' => $entryid]) ?: null;
    }

    /**
     * Bank entry id of each question version: question id => bank entry id.
     *
     * @param int[] $questionids question ids (versions) used in an attempt
     * @return int[]
     */
    public static function entries_of(array $questionids): array {
        global $DB;
        if (!$questionids) {
            return [];
        }
        [$insql, $params] = $DB->get_in_or_equal(array_values(array_unique($questionids)), SQL_PARAMS_NAMED);
        return array_map('intval', $DB->get_records_select_menu(
            'question_versions',
            "questionid {$insql}",
            $params,
            '',
            'questionid, questionbankentryid'
        ));
    }

    /**
     * Identity of a question as the exercise upload carries it.
     *
     * @param int $questionid a version of the question
     * @return array question_bank_entry_id, question_id, idnumber (string|null), name
     */
    public static function identity(int $questionid): array {
        global $DB;
        $row = $DB->get_record_sql(
            'SELECT q.id, q.name, qbe.id AS entryid, qbe.idnumber
               FROM {question} q
               JOIN {question_versions} qv ON qv.questionid = q.id
               JOIN {question_bank_entries} qbe ON qbe.id = qv.questionbankentryid
              WHERE q.id = :id',
            ['id' => $questionid],
            MUST_EXIST
        );
        return [
            'question_bank_entry_id' => (int) $row->entryid,
            'question_id' => (int) $row->id,
            'idnumber' => $row->idnumber === null || $row->idnumber === '' ? null : (string) $row->idnumber,
            'name' => (string) $row->name,
        ];
    }

    /**
     * Link or unlink a question; when linked, send its exercise to the bridge and keep the verdict.
     *
     * The upload is sent whenever it differs from the last one the bridge accepted for this
     * question, or none was accepted ({@see \local_bridge\upload_receipt}).
     *
     * @param int $cmid quiz course module id
     * @param bool $linked graded by the bridge
     * @param string $exercise exercise.yaml text
     * @param array $activity course_id, cmid, kind (quiz), instance_id (the site is added here)
     * @param array $question from {@see self::identity()}
     * @param array $files the exercise's other files, path => content (the question's file area)
     * @return exercise_verdict|null the bridge's verdict, null when not asked
     */
    public static function save(
        int $cmid,
        bool $linked,
        string $exercise,
        array $activity,
        array $question,
        array $files = []
    ): ?exercise_verdict {
        global $DB;
        $entryid = (int) $question['question_bank_entry_id'];
        $row = self::get($cmid, $entryid)
            ?? (object) ['cmid' => $cmid, 'questionbankentryid' => $entryid, 'bridgestatus' => 'unknown'];
        $row->linked = (int) $linked;
        $row->exercise = $exercise;
        $row->timemodified = time();

        $verdict = exercise_upload::send($row, $linked, $exercise, $activity, $files, $question);
        if (isset($row->id)) {
            $DB->update_record('local_bridge_question', $row);
        } else {
            $DB->insert_record('local_bridge_question', $row);
        }
        return $verdict;
    }
}
