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
 * Tests for {@see finished_attempts}: the pages of a quiz's finished attempts.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\finished_attempts
 */
final class finished_attempts_test extends \PHPUnit\Framework\TestCase {
    /**
     * A quiz_attempts row as get_records_select() returns it (strings, keyed by id).
     *
     * @param int $id attempt id
     * @param int $timefinish when it finished
     * @return object
     */
    private static function row(int $id, int $timefinish): object {
        return (object) ['id' => (string) $id, 'userid' => '5', 'attempt' => '1', 'timefinish' => (string) $timefinish];
    }

    /**
     * The clause asks for finished attempts that are not previews, past the cursor.
     */
    public function test_where_names_every_parameter_once(): void {
        [$select, $params] = finished_attempts::where(7, 1767225570, 41);
        $this->assertSame(
            ['quizid' => 7, 'state' => 'finished', 'since' => 1767225570, 'sinceagain' => 1767225570, 'afterid' => 41],
            $params
        );
        preg_match_all('/:(\w+)/', $select, $used);
        // Moodle's DML refuses a named placeholder used twice, or one without its value.
        $this->assertSame(array_keys($params), $used[1]);
        $this->assertStringContainsString('preview = 0', $select);
    }

    /**
     * A page holds at most the limit, as integers, and says that more follow.
     */
    public function test_page_is_bounded_and_says_when_more_follow(): void {
        $rows = [1 => self::row(1, 100), 2 => self::row(2, 100), 3 => self::row(3, 101)];
        $cut = finished_attempts::page($rows, 2);
        $this->assertTrue($cut['hasmore']);
        $this->assertSame(
            [
                ['attemptid' => 1, 'userid' => 5, 'attempt' => 1, 'timefinish' => 100],
                ['attemptid' => 2, 'userid' => 5, 'attempt' => 1, 'timefinish' => 100],
            ],
            $cut['attempts']
        );
        $whole = finished_attempts::page($rows, 3);
        $this->assertFalse($whole['hasmore']);
        $this->assertCount(3, $whole['attempts']);
        $this->assertSame(['attempts' => [], 'hasmore' => false], finished_attempts::page([]));
    }

    /**
     * The default bound is the one the bridge expects (bridge/moodle/schemas.py).
     */
    public function test_the_bound_is_five_hundred(): void {
        $this->assertSame(500, finished_attempts::MAX_ATTEMPTS);
    }
}
