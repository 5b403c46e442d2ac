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
 * When the notification of a submission is sent straight away, and how, by the PHP server in use.
 *
 * The outbox row and its ad-hoc task are written first in every case (the retry path); this only
 * decides whether the request that submitted also makes a first, bounded try once it is over:
 *
 * * AFTER_RESPONSE: PHP-FPM (fastcgi_finish_request) or LiteSpeed (litespeed_finish_request):
 *   the page is complete in the browser and the connection closed before the bridge is called.
 * * BEFORE_CLOSE: servers that cannot end the response early (Apache mod_php, `php -S`): the
 *   page's bytes are all written, but the browser's connection stays open until the try ends,
 *   at most {@see self::INLINE_TIMEOUT} seconds; the session is already closed, so other pages
 *   of the same user do not wait.
 * * OFF: command line (cron submitting quiz attempts whose time is up: the ad-hoc task runs in
 *   that same cron run), switched off in the settings, or the bridge is not configured.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class send_policy {
    /** @var string send once the response has been handed to the browser */
    public const AFTER_RESPONSE = 'after_response';
    /** @var string send at the end of the request, the response not yet closed */
    public const BEFORE_CLOSE = 'before_close';
    /** @var string leave it to the ad-hoc task */
    public const OFF = 'off';
    /** @var int total seconds allowed for a try once the browser has its page */
    public const AFTER_RESPONSE_TIMEOUT = 5;
    /** @var int total seconds allowed for a try the browser still waits on */
    public const INLINE_TIMEOUT = 2;
    /** @var int seconds allowed to connect, either way */
    public const CONNECT_TIMEOUT = 1;

    /**
     * How this request sends, if at all.
     *
     * @param string $sapi PHP_SAPI
     * @param bool $canfinish whether fastcgi_finish_request() or litespeed_finish_request() exists
     * @param bool $enabled the plugin's "send at once" setting
     * @param bool $configured bridge URL, secret and site identifier are set
     * @return string one of the constants
     */
    public static function mode(string $sapi, bool $canfinish, bool $enabled, bool $configured): string {
        if (!$enabled || !$configured || $sapi === 'cli' || $sapi === 'phpdbg') {
            return self::OFF;
        }
        return $canfinish ? self::AFTER_RESPONSE : self::BEFORE_CLOSE;
    }

    /**
     * Total timeout of the first try in a mode.
     *
     * @param string $mode one of the constants
     * @return int seconds (0 when nothing is sent)
     */
    public static function timeout(string $mode): int {
        return match ($mode) {
            self::AFTER_RESPONSE => self::AFTER_RESPONSE_TIMEOUT,
            self::BEFORE_CLOSE => self::INLINE_TIMEOUT,
            default => 0,
        };
    }

    /**
     * Whether an outbox row still wants its first try: pending and never tried.
     *
     * A row the ad-hoc task already took (cron ran first) is left to it and its backoff.
     *
     * @param object|null $row local_bridge_notification record
     * @return bool
     */
    public static function wants_first_try(?object $row): bool {
        return $row !== null && ($row->status ?? '') === 'pending' && (int) ($row->attempts ?? 0) === 0;
    }
}
