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
 * What a question attempt's step history says about manual grading, and what a new grade does.
 *
 * Steps are plain arrays (see {@see self::steps_of()}) so that the decisions run without Moodle:
 * `userid`, `timecreated`, `state`, and the manual-grading behaviour variables `comment`,
 * `commentformat`, `mark`, `maxmark` (null when the step does not set them). A step that sets
 * `comment` is a manual grade: question_attempt::manual_grade() always sets it.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class question_grading {
    /** @var string write a new manual-grade step */
    public const SAVE = 'save';
    /** @var string the last step already is this grade by this user: nothing to write */
    public const UNCHANGED = 'unchanged';
    /** @var string the question changed since the caller read it: refuse */
    public const STALE = 'stale';
    /** @var float fractions closer than this are equal (question_attempt_steps.fraction is NUMBER(12,7)) */
    private const FRACTION_TOLERANCE = 0.0000001;

    /**
     * The steps of a question_attempt as plain arrays, oldest first.
     *
     * @param object $qa a \question_attempt (anything with get_full_step_iterator())
     * @return array[] steps
     */
    public static function steps_of(object $qa): array {
        $steps = [];
        foreach ($qa->get_full_step_iterator() as $step) {
            $var = static fn(string $name): ?string => $step->has_behaviour_var($name)
                ? (string) $step->get_behaviour_var($name) : null;
            $steps[] = [
                'userid' => (int) $step->get_user_id(),
                'timecreated' => (int) $step->get_timecreated(),
                'state' => (string) $step->get_state(),
                'comment' => $var('comment'),
                'commentformat' => $var('commentformat'),
                'mark' => $var('mark'),
                'maxmark' => $var('maxmark'),
            ];
        }
        return $steps;
    }

    /**
     * The latest manual grade: who gave it, when, and its mark on the current scale.
     *
     * @param array[] $steps steps, oldest first
     * @param float $maxmark the question's maximum mark now (a mark is stored with the maximum of its day)
     * @return array gradedby (user id, 0 = never graded by hand), gradedat (unix time, 0), gradedmark (float|null)
     */
    public static function last_manual_grade(array $steps, float $maxmark): array {
        for ($i = count($steps) - 1; $i >= 0; $i--) {
            if (self::is_manual($steps[$i])) {
                return [
                    'gradedby' => (int) $steps[$i]['userid'],
                    'gradedat' => (int) $steps[$i]['timecreated'],
                    'gradedmark' => self::fraction($steps[$i]) === null ? null : self::fraction($steps[$i]) * $maxmark,
                ];
            }
        }
        return ['gradedby' => 0, 'gradedat' => 0, 'gradedmark' => null];
    }

    /**
     * Decide what a grade sent by $userid does.
     *
     * A repeat of the grade this user wrote last (a retry whose first answer was lost) changes
     * nothing, even though its sequence check predates that grade. Otherwise a sequence check
     * other than the current one means someone (a teacher) acted in between: refused.
     *
     * @param array[] $steps steps, oldest first
     * @param int $current the question attempt's sequence check count now
     * @param int $expected the count the caller read, or -1 for no check
     * @param float $mark mark sent
     * @param float $maxmark the question's maximum mark
     * @param string $comment comment sent
     * @param int $commentformat its format
     * @param int $userid the caller
     * @return string SAVE, UNCHANGED or STALE
     */
    public static function decide(
        array $steps,
        int $current,
        int $expected,
        float $mark,
        float $maxmark,
        string $comment,
        int $commentformat,
        int $userid
    ): string {
        $last = $steps ? $steps[count($steps) - 1] : null;
        if (
            $last !== null && self::is_manual($last) && (int) $last['userid'] === $userid
            && (string) $last['comment'] === $comment && (int) $last['commentformat'] === $commentformat
            && self::fraction($last) !== null && $maxmark > 0
            && abs(self::fraction($last) - $mark / $maxmark) < self::FRACTION_TOLERANCE
        ) {
            return self::UNCHANGED;
        }
        if ($expected >= 0 && $expected !== $current) {
            return self::STALE;
        }
        return self::SAVE;
    }

    /**
     * Whether a mark is one the question engine accepts for this question.
     *
     * @param float $mark mark
     * @param float $maxmark maximum mark of the question in the quiz
     * @param float $minfraction lowest fraction of the question (0 for an essay)
     * @param float $maxfraction highest fraction (1 for an essay)
     * @return bool
     */
    public static function mark_in_range(float $mark, float $maxmark, float $minfraction, float $maxfraction): bool {
        if (!is_finite($mark) || !is_finite($maxmark) || $maxmark <= 0) {
            return false;
        }
        $fraction = $mark / $maxmark;
        return $fraction >= $minfraction - self::FRACTION_TOLERANCE && $fraction <= $maxfraction + self::FRACTION_TOLERANCE;
    }

    /**
     * Whether a step is a manual grade or comment.
     *
     * @param array $step step
     * @return bool
     */
    private static function is_manual(array $step): bool {
        return ($step['comment'] ?? null) !== null;
    }

    /**
     * The fraction a manual-grade step gave, or null (a comment without a mark).
     *
     * @param array $step step
     * @return float|null
     */
    private static function fraction(array $step): ?float {
        $mark = $step['mark'] ?? null;
        $maxmark = (float) ($step['maxmark'] ?? 0);
        if ($mark === null || $mark === '' || !is_numeric($mark) || $maxmark <= 0) {
            return null;
        }
        return (float) $mark / $maxmark;
    }
}
