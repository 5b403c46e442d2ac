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
 * Tests for {@see jwks_address}: the Test connection page's comparison with auth_jwtsso's setting.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\jwks_address
 */
final class jwks_address_test extends \PHPUnit\Framework\TestCase {
    /**
     * The same address written differently is the same.
     */
    public function test_same_spellings(): void {
        $url = 'http://127.0.0.1:8010/api/v1/auth/jwks.json';
        $this->assertTrue(jwks_address::same($url, $url));
        $this->assertTrue(jwks_address::same($url, ' HTTP://127.0.0.1:8010/api/v1/auth/jwks.json/ '));
        $this->assertTrue(jwks_address::same('https://Bridge.example.org/jwks', 'https://bridge.example.org:443/jwks'));
    }

    /**
     * Another host, port, path or scheme differs; an empty or non-http address never matches.
     */
    public function test_different(): void {
        $url = 'http://127.0.0.1:8010/api/v1/auth/jwks.json';
        $this->assertFalse(jwks_address::same($url, 'http://127.0.0.1:8000/api/v1/auth/jwks.json'));
        $this->assertFalse(jwks_address::same($url, 'http://localhost:8010/api/v1/auth/jwks.json'));
        $this->assertFalse(jwks_address::same($url, 'https://127.0.0.1:8010/api/v1/auth/jwks.json'));
        $this->assertFalse(jwks_address::same($url, 'http://127.0.0.1:8010/api/v1/auth/JWKS.json'));
        $this->assertFalse(jwks_address::same($url, ''));
        $this->assertFalse(jwks_address::same('', ''));
        $this->assertFalse(jwks_address::same('ftp://h/x', 'ftp://h/x'));
    }
}
