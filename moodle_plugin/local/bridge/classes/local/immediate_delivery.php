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

namespace local_bridge\local;

use local_bridge\send_policy;

/**
 * The first try of a notification, made by the request that submitted once its page is out.
 *
 * Moodle 5.0 has no "after the response" hook of its own: core_shutdown_manager runs its
 * callbacks at the end of the request, but before it writes the session and prints the page's
 * closing tags ($CFG->closingtags), so a callback that ended the response there would cut the
 * page. So the callback registered with core_shutdown_manager::register_function() only
 * registers one more PHP shutdown function, which PHP runs after the whole of Moodle's shutdown
 * (session closed, page complete). That one ends the response where the server can
 * (fastcgi_finish_request under PHP-FPM, litespeed_finish_request), then delivers each row of
 * this request through {@see outbox::deliver()} with a short timeout and without rescheduling:
 * the ad-hoc task queued with the row stays the retry path, and finds the row acknowledged when
 * this try succeeded. See {@see send_policy} for servers that cannot end a response early.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class immediate_delivery {
    /** @var int[] outbox rows waiting for the end of this request */
    private static array $ids = [];

    /**
     * Try to deliver a row once this request is over (nothing is done before then).
     *
     * @param int $id outbox row id
     */
    public static function schedule(int $id): void {
        if (self::mode() === send_policy::OFF) {
            return;
        }
        if (!self::$ids) {
            \core_shutdown_manager::register_function([self::class, 'after_moodle_shutdown']);
        }
        self::$ids[] = $id;
    }

    /**
     * Moodle's shutdown callback: queue the delivery behind the rest of Moodle's shutdown.
     */
    public static function after_moodle_shutdown(): void {
        // A function registered while shutdown functions run goes to the end of PHP's queue.
        register_shutdown_function([self::class, 'deliver_all']);
    }

    /**
     * End the response if the server can, then make one bounded try of each row.
     */
    public static function deliver_all(): void {
        $mode = self::mode();
        $ids = array_unique(self::$ids);
        self::$ids = [];
        if ($mode === send_policy::OFF || !$ids) {
            return;
        }
        ignore_user_abort(true);
        if ($mode === send_policy::AFTER_RESPONSE) {
            if (function_exists('fastcgi_finish_request')) {
                fastcgi_finish_request();
            } else if (function_exists('litespeed_finish_request')) {
                litespeed_finish_request();
            }
        } else {
            while (ob_get_level() > 0) {
                ob_end_flush();
            }
            flush();
        }
        global $DB;
        $timeout = send_policy::timeout($mode);
        try {
            $client = outbox::client($timeout, send_policy::CONNECT_TIMEOUT);
        } catch (\Throwable $e) {
            return; // Not configured: the ad-hoc task will say so on the status page.
        }
        foreach ($ids as $id) {
            try {
                $row = $DB->get_record('local_bridge_notification', ['id' => $id]);
                if (send_policy::wants_first_try($row ?: null)) {
                    outbox::deliver((int) $id, $client, false);
                }
            } catch (\Throwable $e) {
                // Never an error page after the fact: the queued task retries.
                debugging('local_bridge: first try of notification ' . $id . ' failed: ' . $e->getMessage(), DEBUG_DEVELOPER);
            }
        }
    }

    /**
     * How this request sends, from the server and the settings.
     *
     * @return string a {@see send_policy} mode
     */
    private static function mode(): string {
        $config = get_config('local_bridge');
        $configured = !empty($config->bridgeurl) && !empty($config->secret) && !empty($config->siteid);
        return send_policy::mode(
            PHP_SAPI,
            function_exists('fastcgi_finish_request') || function_exists('litespeed_finish_request'),
            !isset($config->sendimmediately) || !empty($config->sendimmediately),
            $configured
        );
    }
}
