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
 * Status and body of an HTTP response.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class http_response {
    /**
     * Constructor.
     *
     * @param int $status HTTP status code
     * @param string $body response body
     */
    public function __construct(
        /** @var int HTTP status code */
        public readonly int $status,
        /** @var string response body */
        public readonly string $body,
    ) {
    }

    /**
     * Whether the status is 2xx.
     *
     * @return bool
     */
    public function is_success(): bool {
        return $this->status >= 200 && $this->status < 300;
    }
}
