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
 * Sends one HTTP request; the Moodle implementation uses core's \curl, tests use a fake.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
interface http_transport {
    /**
     * POST a body.
     *
     * @param string $url absolute URL
     * @param array $headers header name => value
     * @param string $body raw body
     * @return http_response
     * @throws \RuntimeException when no HTTP response was received (network error, blocked URL, timeout)
     */
    public function post(string $url, array $headers, string $body): http_response;
}
