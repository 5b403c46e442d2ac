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
use local_bridge\grading_state;
use local_bridge\local\grading_states;

/**
 * The autograding state of a user's latest submission of an assignment or quiz (AJAX).
 *
 * A user asks about themself with the activity's view capability; asking about anyone else
 * needs the activity's grade capability (mod/assign:grade, mod/quiz:grade). Only teachers get
 * the bridge's error text (`detail`).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class get_grading_state extends external_api {
    /**
     * Parameters.
     *
     * @return external_function_parameters
     */
    public static function execute_parameters(): external_function_parameters {
        return new external_function_parameters([
            'cmid' => new external_value(PARAM_INT, 'Course module id of the assignment or quiz'),
            'userid' => new external_value(PARAM_INT, 'Whose submission; 0 for the current user', VALUE_DEFAULT, 0),
            'attempt' => new external_value(PARAM_INT, 'Attempt number (quizzes count from 1); -1: latest', VALUE_DEFAULT, -1),
        ]);
    }

    /**
     * Ask the bridge.
     *
     * @param int $cmid course module id
     * @param int $userid user id, 0 for oneself
     * @param int $attempt attempt number, -1 for the latest
     * @return array
     */
    public static function execute(int $cmid, int $userid = 0, int $attempt = -1): array {
        global $USER;
        ['cmid' => $cmid, 'userid' => $userid, 'attempt' => $attempt] = self::validate_parameters(
            self::execute_parameters(),
            ['cmid' => $cmid, 'userid' => $userid, 'attempt' => $attempt]
        );
        [, $cm] = get_course_and_cm_from_cmid($cmid);
        $context = \context_module::instance($cm->id);
        self::validate_context($context);
        if (!in_array($cm->modname, ['assign', 'quiz'], true)) {
            throw new \invalid_parameter_exception('Only assignments and quizzes are autograded');
        }
        $userid = $userid ?: (int) $USER->id;
        $isteacher = has_capability("mod/{$cm->modname}:grade", $context);
        if ($userid !== (int) $USER->id) {
            require_capability("mod/{$cm->modname}:grade", $context);
        } else {
            require_capability("mod/{$cm->modname}:view", $context);
        }

        if (!grading_states::is_autograded($cm)) {
            $state = grading_state::not_autograded();
        } else {
            [$state] = grading_states::ask(grading_state::keys($cm->modname, (int) $cm->id, [$userid], max($attempt, -1)));
        }
        return [
            'cmid' => (int) $cm->id,
            'userid' => $userid,
            'state' => $state['state'],
            'final' => $state['final'],
            // A teacher looking at a student's submission reads the teachers' wording.
            'message' => $userid === (int) $USER->id ? grading_states::message($state) : grading_states::teacher_message($state),
            'score' => $state['score'],
            'maxscore' => $state['maxscore'],
            'grade' => $state['grade'],
            'ingradebook' => $state['ingradebook'],
            'pollafter' => $state['pollafter'],
            'reason' => $state['reason'],
            'detail' => $isteacher ? $state['detail'] : '',
        ];
    }

    /**
     * Return structure.
     *
     * @return external_single_structure
     */
    public static function execute_returns(): external_single_structure {
        return new external_single_structure([
            'cmid' => new external_value(PARAM_INT, 'Course module id'),
            'userid' => new external_value(PARAM_INT, 'Whose submission'),
            'state' => new external_value(PARAM_ALPHA, 'unknown, queued, running, graded, failed, unavailable or notautograded'),
            'final' => new external_value(PARAM_BOOL, 'True when the state will not change by itself: stop asking'),
            'message' => new external_value(PARAM_TEXT, 'What to show, in the user\'s language'),
            'score' => new external_value(PARAM_FLOAT, 'Points scored, when graded', VALUE_REQUIRED, null, NULL_ALLOWED),
            'maxscore' => new external_value(PARAM_FLOAT, 'Points possible, when graded', VALUE_REQUIRED, null, NULL_ALLOWED),
            'grade' => new external_value(PARAM_FLOAT, 'Grade in the gradebook, once there', VALUE_REQUIRED, null, NULL_ALLOWED),
            'ingradebook' => new external_value(PARAM_BOOL, 'Whether the grade is in the gradebook'),
            'pollafter' => new external_value(PARAM_INT, 'Seconds until it is worth asking again (0 when final)'),
            'reason' => new external_value(PARAM_ALPHANUMEXT, 'Why it failed (rejected, grading_failed, delivery_parked, ...)'),
            'detail' => new external_value(PARAM_TEXT, 'The bridge\'s error, for teachers only'),
        ]);
    }
}
