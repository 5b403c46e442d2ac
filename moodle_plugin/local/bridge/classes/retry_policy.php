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
 * When to try again after the bridge did not acknowledge: exponential backoff with jitter, no give-up.
 *
 * A notification is never dropped (the bridge is the only place that grades it); after many
 * failures it is simply retried every {@see self::MAX_DELAY} seconds and shows on the status page.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class retry_policy {
    /** @var int first delay in seconds */
    public const BASE_DELAY = 60;
    /** @var int longest delay in seconds */
    public const MAX_DELAY = 6 * 3600;

    /**
     * Seconds to wait after the given number of failed deliveries.
     *
     * @param int $failures failed deliveries so far (>= 1)
     * @param float $jitter fraction in [0, 1) added on top to spread retries; random when null
     * @return int
     */
    public static function delay(int $failures, ?float $jitter = null): int {
        $jitter ??= mt_rand() / (mt_getrandmax() + 1);
        $exponent = min(max($failures, 1) - 1, 20);
        $delay = min(self::BASE_DELAY * (2 ** $exponent), self::MAX_DELAY);
        return (int) min(self::MAX_DELAY, round($delay * (1 + 0.25 * $jitter)));
    }
}
