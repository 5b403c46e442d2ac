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

namespace auth_jwtsso\local;

/**
 * The bridge's JWKS fetched with core's \curl and kept in the application cache.
 *
 * A forced refresh (unknown kid) is honoured at most once per {@see self::MIN_REFRESH_INTERVAL}
 * seconds, so a stream of tokens with invented kids cannot turn Moodle into a JWKS flooder.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class cached_jwks_provider implements \auth_jwtsso\jwks_provider {
    /** @var int seconds between two forced refreshes */
    public const MIN_REFRESH_INTERVAL = 10;
    /** @var int largest JWKS document accepted */
    private const MAX_BYTES = 65536;

    /**
     * Constructor.
     *
     * @param string $url JWKS URL
     */
    public function __construct(
        /** @var string JWKS URL */
        private readonly string $url,
    ) {
    }

    /**
     * Keys from the cache, or freshly fetched.
     *
     * @param bool $refresh bypass the cache
     * @return array[]
     */
    public function get_keys(bool $refresh): array {
        $cache = \cache::make('auth_jwtsso', 'jwks');
        $entry = $cache->get($this->url);
        $fresh = is_array($entry) && $entry['fetched'] > time() - self::MIN_REFRESH_INTERVAL;
        if (is_array($entry) && (!$refresh || $fresh)) {
            return $entry['keys'];
        }
        $entry = ['keys' => $this->fetch(), 'fetched' => time()];
        $cache->set($this->url, $entry);
        return $entry['keys'];
    }

    /**
     * Download and sanity-check the JWKS.
     *
     * @return array[]
     */
    private function fetch(): array {
        global $CFG;
        require_once($CFG->libdir . '/filelib.php');

        if ($this->url === '') {
            throw new \moodle_exception('jwksnotconfigured', 'auth_jwtsso');
        }
        $curl = new \curl();
        $body = $curl->get($this->url, [], ['CURLOPT_TIMEOUT' => 10, 'CURLOPT_CONNECTTIMEOUT' => 5]);
        $status = (int) ($curl->get_info()['http_code'] ?? 0);
        if ($curl->get_errno() || $curl->error || $status !== 200 || strlen($body) > self::MAX_BYTES) {
            throw new \moodle_exception(
                'jwksunavailable',
                'auth_jwtsso',
                '',
                null,
                "HTTP {$status} {$curl->error}"
            );
        }
        $jwks = json_decode($body, true);
        if (!is_array($jwks) || !isset($jwks['keys']) || !is_array($jwks['keys']) || !array_is_list($jwks['keys'])) {
            throw new \moodle_exception('jwksunavailable', 'auth_jwtsso', '', null, 'not a JWKS document');
        }
        return $jwks['keys'];
    }
}
