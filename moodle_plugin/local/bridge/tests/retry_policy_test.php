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
 * Tests for {@see retry_policy}.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\retry_policy
 */
final class retry_policy_test extends \PHPUnit\Framework\TestCase {
    /**
     * Delays double from a minute up to the cap, and never give up.
     */
    public function test_exponential_with_cap(): void {
        $this->assertSame([60, 120, 240, 480, 960], array_map(
            static fn(int $n): int => retry_policy::delay($n, 0.0),
            [1, 2, 3, 4, 5]
        ));
        $this->assertSame(retry_policy::MAX_DELAY, retry_policy::delay(10, 0.0));
        $this->assertSame(retry_policy::MAX_DELAY, retry_policy::delay(PHP_INT_MAX, 0.99));
        $this->assertSame(60, retry_policy::delay(0, 0.0));
    }

    /**
     * Jitter adds at most a quarter.
     */
    public function test_jitter_bounds(): void {
        for ($i = 0; $i < 50; $i++) {
            $delay = retry_policy::delay(3);
            $this->assertGreaterThanOrEqual(240, $delay);
            $this->assertLessThanOrEqual(300, $delay);
        }
    }
}
