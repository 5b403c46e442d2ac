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
 * Whether two JWKS addresses name the same document (pure: no Moodle calls).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class jwks_address {
    /**
     * The same address, written alike or not: scheme and host are case-insensitive, a default
     * port and a trailing slash change nothing; the path and query are compared as written.
     *
     * @param string $a one address
     * @param string $b the other
     * @return bool
     */
    public static function same(string $a, string $b): bool {
        $na = self::normal($a);
        return $na !== null && $na === self::normal($b);
    }

    /**
     * An address in one spelling, or null when it is not an http(s) URL.
     *
     * @param string $url the address
     * @return string|null
     */
    private static function normal(string $url): ?string {
        $parts = parse_url(trim($url));
        $scheme = strtolower((string) (is_array($parts) ? ($parts['scheme'] ?? '') : ''));
        if (empty($parts['host']) || !in_array($scheme, ['http', 'https'], true)) {
            return null;
        }
        $port = (int) ($parts['port'] ?? ($scheme === 'https' ? 443 : 80));
        $path = rtrim($parts['path'] ?? '', '/');
        $query = isset($parts['query']) ? '?' . $parts['query'] : '';
        return "{$scheme}://" . strtolower($parts['host']) . ":{$port}{$path}{$query}";
    }
}
