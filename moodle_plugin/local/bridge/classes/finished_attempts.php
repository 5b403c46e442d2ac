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
 * One page of a quiz's finished attempts, for the bridge's reconciliation sweep.
 *
 * Attempts come ordered by (timefinish, id); a page starts at `since` (past `afterid` among the
 * attempts finished exactly then, so that the next page never repeats nor skips one, however
 * many share a second) and holds at most MAX_ATTEMPTS. Plain arrays in and out, so it runs
 * without Moodle.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class finished_attempts {
    /** @var int most attempts one answer holds */
    public const MAX_ATTEMPTS = 500;

    /**
     * The WHERE clause on quiz_attempts and its parameters for one page.
     *
     * @param int $quizid quiz.id
     * @param int $since unix time: attempts finished at or after it
     * @param int $afterid among those finished exactly at $since, only ids above this one
     * @return array [string $select, array $params]
     */
    public static function where(int $quizid, int $since, int $afterid): array {
        $select = 'quiz = :quizid AND state = :state AND preview = 0'
            . ' AND (timefinish > :since OR (timefinish = :sinceagain AND id > :afterid))';
        return [$select, [
            'quizid' => $quizid,
            'state' => 'finished',
            'since' => $since,
            'sinceagain' => $since,
            'afterid' => $afterid,
        ]];
    }

    /**
     * The answer's attempts and whether more follow, from up to MAX_ATTEMPTS + 1 records read.
     *
     * @param object[] $records quiz_attempts rows (id, userid, attempt, timefinish), in page order
     * @param int $limit MAX_ATTEMPTS unless a test says otherwise
     * @return array attempts (attemptid, userid, attempt, timefinish), hasmore (bool)
     */
    public static function page(array $records, int $limit = self::MAX_ATTEMPTS): array {
        $records = array_values($records);
        $attempts = [];
        foreach (array_slice($records, 0, $limit) as $record) {
            $attempts[] = [
                'attemptid' => (int) $record->id,
                'userid' => (int) $record->userid,
                'attempt' => (int) $record->attempt,
                'timefinish' => (int) $record->timefinish,
            ];
        }
        return ['attempts' => $attempts, 'hasmore' => count($records) > $limit];
    }
}
