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
use local_bridge\finished_attempts;

/**
 * The finished attempts of one quiz since a time, for the bridge's reconciliation.
 *
 * Moodle's mod_quiz_get_user_attempts answers for one user at a time; the bridge, which must
 * find attempts whose notification was lost without asking once per student, reads here every
 * finished attempt (no previews) of the quiz from a time on, a bounded page at a time.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_finished_attempts extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'cmid' => new external_value(PARAM_INT, 'Course module id of the quiz'),
            'since' => new external_value(PARAM_INT, 'Attempts finished at or after this unix time', VALUE_DEFAULT, 0),
            'afterid' => new external_value(
                PARAM_INT,
                'Next page: among attempts finished exactly at since, only those with a higher id',
                VALUE_DEFAULT,
                0
            ),
        ]);
    }

    /**
     * List finished attempts of a quiz.
     *
     * @param int $cmid course module id of the quiz
     * @param int $since unix time
     * @param int $afterid attempt id, for the next page
     * @return array
     */
    public static function execute(int $cmid, int $since = 0, int $afterid = 0): array {
        global $DB;

        $params = self::validate_parameters(
            self::execute_parameters(),
            ['cmid' => $cmid, 'since' => $since, 'afterid' => $afterid]
        );
        $cm = get_coursemodule_from_id('quiz', $params['cmid'], 0, false, MUST_EXIST);
        $context = \context_module::instance($cm->id);
        self::validate_context($context);
        require_capability('mod/quiz:grade', $context);

        [$select, $sqlparams] = finished_attempts::where(
            (int) $cm->instance,
            max(0, (int) $params['since']),
            max(0, (int) $params['afterid'])
        );
        $records = $DB->get_records_select(
            'quiz_attempts',
            $select,
            $sqlparams,
            'timefinish ASC, id ASC',
            'id, userid, attempt, timefinish',
            0,
            finished_attempts::MAX_ATTEMPTS + 1
        );
        return [
            'cmid' => (int) $cm->id,
            'quizid' => (int) $cm->instance,
            'courseid' => (int) $cm->course,
        ] + finished_attempts::page($records) + ['warnings' => []];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'cmid' => new external_value(PARAM_INT, 'Course module id of the quiz'),
            'quizid' => new external_value(PARAM_INT, 'quiz.id'),
            'courseid' => new external_value(PARAM_INT, 'Course id'),
            'attempts' => new external_multiple_structure(new external_single_structure([
                'attemptid' => new external_value(PARAM_INT, 'quiz_attempts.id'),
                'userid' => new external_value(PARAM_INT, 'Owner of the attempt'),
                'attempt' => new external_value(PARAM_INT, 'Attempt number, 1-based'),
                'timefinish' => new external_value(PARAM_INT, 'When the attempt was submitted'),
            ])),
            'hasmore' => new external_value(PARAM_BOOL, 'More attempts follow: ask again from the last one'),
            'warnings' => new external_warnings(),
        ]);
    }
}
