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
 * Tests for {@see send_policy}: when a submission's request makes the first try itself.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\send_policy
 */
final class send_policy_test extends \PHPUnit\Framework\TestCase {
    /**
     * Server, setting and configuration → mode.
     *
     * @return array
     */
    public static function modes(): array {
        return [
            'php-fpm ends the response first' => ['fpm-fcgi', true, true, true, send_policy::AFTER_RESPONSE],
            'litespeed ends the response first' => ['litespeed', true, true, true, send_policy::AFTER_RESPONSE],
            'mod_php cannot: bounded before close' => ['apache2handler', false, true, true, send_policy::BEFORE_CLOSE],
            'php -S cannot: bounded before close' => ['cli-server', false, true, true, send_policy::BEFORE_CLOSE],
            'cron (cli) leaves it to the task' => ['cli', false, true, true, send_policy::OFF],
            'cli with fpm functions still off' => ['cli', true, true, true, send_policy::OFF],
            'switched off' => ['fpm-fcgi', true, false, true, send_policy::OFF],
            'not configured' => ['fpm-fcgi', true, true, false, send_policy::OFF],
        ];
    }

    /**
     * The mode of each server.
     *
     * @dataProvider modes
     * @param string $sapi PHP_SAPI
     * @param bool $canfinish fastcgi_finish_request exists
     * @param bool $enabled setting
     * @param bool $configured bridge configured
     * @param string $expected mode
     */
    public function test_mode(string $sapi, bool $canfinish, bool $enabled, bool $configured, string $expected): void {
        $this->assertSame($expected, send_policy::mode($sapi, $canfinish, $enabled, $configured));
    }

    /**
     * The browser never waits long: the inline try is shorter than the one after the response.
     */
    public function test_timeouts_are_short(): void {
        $this->assertSame(0, send_policy::timeout(send_policy::OFF));
        $this->assertSame(2, send_policy::timeout(send_policy::BEFORE_CLOSE));
        $this->assertSame(5, send_policy::timeout(send_policy::AFTER_RESPONSE));
        $this->assertLessThan(send_policy::INLINE_TIMEOUT, send_policy::CONNECT_TIMEOUT);
    }

    /**
     * Only a pending row never tried gets the first try: cron or an earlier try leaves it alone.
     */
    public function test_wants_first_try(): void {
        $this->assertTrue(send_policy::wants_first_try((object) ['status' => 'pending', 'attempts' => '0']));
        $this->assertFalse(send_policy::wants_first_try((object) ['status' => 'pending', 'attempts' => 1]));
        $this->assertFalse(send_policy::wants_first_try((object) ['status' => 'acknowledged', 'attempts' => 0]));
        $this->assertFalse(send_policy::wants_first_try(null));
    }
}
