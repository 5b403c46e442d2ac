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
 * Tests for {@see results_summary}: the regrade summary's grammar and the pass rates during a regrade.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\results_summary
 */
final class results_summary_test extends \PHPUnit\Framework\TestCase {
    /**
     * None, one and many kept grades each have their own sentence.
     */
    public function test_kept_string_one_and_many(): void {
        $this->assertNull(results_summary::kept_string(0));
        $this->assertSame('regrade_done_kept_one', results_summary::kept_string(1));
        $this->assertSame('regrade_done_kept', results_summary::kept_string(2));
        $this->assertSame('regrade_done_kept', results_summary::kept_string(40));
    }

    /**
     * A running regrade's progress is summed; done regrades and missing ones are left out.
     */
    public function test_running_progress(): void {
        $this->assertNull(results_summary::running_progress([]));
        $this->assertNull(results_summary::running_progress([null, ['done' => true, 'total' => 5, 'pending' => 0]]));
        $this->assertSame(['graded' => 3, 'total' => 5], results_summary::running_progress([
            ['done' => false, 'total' => 5, 'pending' => 2],
            ['done' => true, 'total' => 9, 'pending' => 0],
            null,
        ]));
        $this->assertSame(['graded' => 4, 'total' => 9], results_summary::running_progress([
            ['done' => false, 'total' => 5, 'pending' => 2],
            ['done' => false, 'total' => 4, 'pending' => 3],
        ]));
    }
}
