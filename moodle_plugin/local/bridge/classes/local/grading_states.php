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

use local_bridge\grading_state;

/**
 * Asks the bridge for the grading state of submissions, and tells teachers of the failed ones.
 *
 * Every question is one signed call with a short timeout; a bridge that cannot be asked gives
 * "unavailable" for every item, never an error page. A failed state seen here is recorded as a
 * failure notice at once ({@see failure_notices}: once per failure), so a teacher hears of it as
 * soon as anyone looks, without waiting for the fetch_failures task.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class grading_states {
    /** @var int total seconds a question to the bridge may take */
    public const TIMEOUT = 3;

    /**
     * States of the latest submissions of (kind, cmid, user_id) items, in order, as shown.
     *
     * @param array $items keys from {@see grading_state::keys()} (at most 100)
     * @return array one {@see grading_state::from_bridge()} answer per item
     */
    public static function ask(array $items): array {
        if (!$items) {
            return [];
        }
        try {
            $answers = outbox::client(self::TIMEOUT, 1)->grading_states((string) get_config('local_bridge', 'siteid'), $items);
        } catch (\Throwable $e) {
            $answers = array_fill(0, count($items), null);
        }
        $shown = [];
        foreach (array_values($items) as $i => $item) {
            $answer = is_array($answers[$i] ?? null) ? $answers[$i] : null;
            $state = grading_state::from_bridge($answer);
            if ($state['state'] === 'failed' && $state['failureid'] !== '') {
                failure_notices::record([
                    'failure_id' => $state['failureid'],
                    'kind' => $item['kind'],
                    'cmid' => $item['cmid'],
                    'user_id' => $item['user_id'],
                    'attempt_number' => (int) ($answer['attempt_number'] ?? 0),
                    'reason' => $state['reason'],
                    'detail' => $state['detail'],
                ]);
            }
            $shown[] = $state;
        }
        return $shown;
    }

    /**
     * The text a person reads for a shown state.
     *
     * @param array $state one {@see grading_state::from_bridge()} answer
     * @return string
     */
    public static function message(array $state): string {
        $a = (object) [
            'score' => $state['score'] === null ? '' : format_float($state['score'], 2, true, true),
            'maxscore' => $state['maxscore'] === null ? '' : format_float($state['maxscore'], 2, true, true),
            'grade' => $state['grade'] === null ? '' : format_float($state['grade'], 2, true, true),
        ];
        return get_string($state['stringid'], 'local_bridge', $a);
    }

    /**
     * The text a teacher reads for a student's state (short, and naming why a failure failed).
     *
     * @param array $state one {@see grading_state::from_bridge()} answer
     * @return string
     */
    public static function teacher_message(array $state): string {
        $id = 'teacherstate_' . match ($state['stringid']) {
            'state_graded_pending' => 'graded_pending',
            'state_graded_teacher' => 'graded_teacher',
            default => $state['state'],
        };
        $reason = 'reason_' . $state['reason'];
        $a = (object) [
            'score' => $state['score'] === null ? '' : format_float($state['score'], 2, true, true),
            'maxscore' => $state['maxscore'] === null ? '' : format_float($state['maxscore'], 2, true, true),
            'reason' => get_string_manager()->string_exists($reason, 'local_bridge')
                ? get_string($reason, 'local_bridge') : s($state['reason']),
        ];
        return get_string($id, 'local_bridge', $a);
    }

    /**
     * Whether a course module is graded by the bridge.
     *
     * @param \cm_info|\stdClass $cm course module with modname
     * @return bool
     */
    public static function is_autograded($cm): bool {
        return match ($cm->modname) {
            'assign' => activity_settings::is_enabled((int) $cm->id),
            'quiz' => question_links::has_linked((int) $cm->id),
            default => false,
        };
    }
}
