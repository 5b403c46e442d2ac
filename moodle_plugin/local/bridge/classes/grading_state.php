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

namespace local_bridge;

/**
 * What the student (or teacher) is shown from the bridge's answer about one submission.
 *
 * The bridge names five states (unknown, queued, running, graded, failed); the page adds two of
 * its own: "unavailable" when the bridge could not be asked, and "notautograded". Pure logic: the
 * web-service function {@see \local_bridge\external\get_grading_state} feeds it the answer.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class grading_state {
    /** @var string[] states the bridge answers with */
    public const BRIDGE_STATES = ['unknown', 'queued', 'running', 'graded', 'failed'];
    /** @var string the bridge could not be asked: try again later */
    public const UNAVAILABLE = 'unavailable';
    /** @var string the activity is not graded by the bridge */
    public const NOT_AUTOGRADED = 'notautograded';
    /** @var int seconds between polls while grading is under way */
    public const POLL_FAST = 2;
    /** @var int seconds between polls while waiting for the gradebook or the bridge */
    public const POLL_SLOW = 10;

    /**
     * Map one state of the bridge's answer to what the page shows.
     *
     * @param array|null $answer one element of the bridge's "states", null when it could not be asked
     * @return array state, final, stringid, score, maxscore, grade, ingradebook, pollafter, reason, detail, failureid
     */
    public static function from_bridge(?array $answer): array {
        if ($answer === null) {
            return self::shown(self::UNAVAILABLE, false, self::POLL_SLOW);
        }
        $state = (string) ($answer['state'] ?? '');
        if (!in_array($state, self::BRIDGE_STATES, true)) {
            // A newer bridge may name more states: keep asking, show the safe one.
            return self::shown(self::UNAVAILABLE, false, self::POLL_SLOW);
        }
        $ingradebook = !empty($answer['in_gradebook']);
        $final = $state === 'failed' || ($state === 'graded' && $ingradebook);
        $shown = self::shown($state, $final, match ($state) {
            'unknown', 'queued', 'running' => self::POLL_FAST,
            default => self::POLL_SLOW,
        });
        if ($state === 'graded') {
            $shown['score'] = self::number($answer['score'] ?? null);
            $shown['maxscore'] = self::number($answer['max_score'] ?? null);
            $shown['grade'] = $ingradebook ? self::number($answer['grade'] ?? null) : null;
            $shown['ingradebook'] = $ingradebook;
            $shown['stringid'] = $ingradebook ? 'state_graded' : 'state_graded_pending';
            if (($answer['reason'] ?? null) === 'teacher_override') {
                // The gradebook holds the teacher's grade, not the one the bridge computed.
                $shown['stringid'] = 'state_graded_teacher';
                $shown['grade'] = null;
                $shown['reason'] = 'teacher_override';
            }
        }
        if ($state === 'failed') {
            $shown['reason'] = (string) ($answer['reason'] ?? '');
            $shown['detail'] = (string) ($answer['detail'] ?? '');
            $failureid = (string) ($answer['failure_id'] ?? '');
            $shown['failureid'] = preg_match('/^[0-9a-f]{64}$/', $failureid) ? $failureid : '';
        }
        return $shown;
    }

    /**
     * The answer for an activity the bridge does not grade.
     *
     * @return array
     */
    public static function not_autograded(): array {
        return self::shown(self::NOT_AUTOGRADED, true, 0);
    }

    /**
     * The shape every answer has.
     *
     * @param string $state state shown
     * @param bool $final whether the page stops asking
     * @param int $pollafter seconds until the next question (0 when final)
     * @return array
     */
    private static function shown(string $state, bool $final, int $pollafter): array {
        return [
            'state' => $state,
            'final' => $final,
            'stringid' => 'state_' . $state,
            'score' => null,
            'maxscore' => null,
            'grade' => null,
            'ingradebook' => false,
            'pollafter' => $final ? 0 : $pollafter,
            'reason' => '',
            'detail' => '',
            'failureid' => '',
        ];
    }

    /**
     * A number from JSON, or null.
     *
     * @param mixed $value value
     * @return float|null
     */
    private static function number(mixed $value): ?float {
        return is_int($value) || is_float($value) ? (float) $value : null;
    }

    /**
     * The bridge's question about the submissions of users in one activity (kind, cmid, user).
     *
     * @param string $modname assign or quiz
     * @param int $cmid course module id
     * @param int[] $userids users asked about (at most 100)
     * @param int $attempt one attempt number (quiz attempts from 1, assignment attempts from 0), -1 for the latest
     * @return array items of the question
     */
    public static function keys(string $modname, int $cmid, array $userids, int $attempt = -1): array {
        $kind = match ($modname) {
            'assign' => 'assign_submission',
            'quiz' => 'quiz_attempt',
            default => throw new \InvalidArgumentException("{$modname} activities are not autograded"),
        };
        if (count($userids) > 100) {
            throw new \InvalidArgumentException('At most 100 users are asked about at once');
        }
        $extra = $attempt >= 0 ? ['attempt_number' => $attempt] : [];
        return array_map(
            static fn(int $userid): array => ['kind' => $kind, 'cmid' => $cmid, 'user_id' => $userid] + $extra,
            array_values(array_unique(array_map('intval', $userids)))
        );
    }
}
