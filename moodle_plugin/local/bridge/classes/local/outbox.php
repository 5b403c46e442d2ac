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

use local_bridge\bridge_client;
use local_bridge\retry_policy;
use local_bridge\signer;
use local_bridge\task\notify_bridge;

/**
 * The notification outbox: one row per submission event, delivered until the bridge acknowledges.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class outbox {
    /** @var string waiting for the bridge's acknowledgement */
    public const PENDING = 'pending';
    /** @var string the bridge answered 2xx */
    public const ACKNOWLEDGED = 'acknowledged';

    /**
     * Store a notification and queue its delivery; a repeated event is stored once.
     *
     * @param array $body notification from {@see \local_bridge\notification::from_event()}
     * @return int outbox row id
     */
    public static function add(array $body): int {
        global $DB;
        $now = time();
        $transaction = $DB->start_delegated_transaction();
        $id = $DB->get_field('local_bridge_notification', 'id', ['eventid' => $body['event_id']]);
        if (!$id) {
            $id = $DB->insert_record('local_bridge_notification', (object) [
                'eventid' => $body['event_id'],
                'cmid' => $body['cmid'],
                'userid' => $body['user_id'],
                'kind' => $body['kind'],
                'itemid' => $body['item_id'],
                'payload' => \local_bridge\notification::encode($body),
                'status' => self::PENDING,
                'attempts' => 0,
                'nextattempt' => $now,
                'timecreated' => $now,
                'timemodified' => $now,
            ]);
            self::queue((int) $id, $now, false);
            // The task above is the retry path; the first try is made once this request is over.
            immediate_delivery::schedule((int) $id);
        }
        $transaction->allow_commit();
        return (int) $id;
    }

    /**
     * Try to deliver one notification; on failure schedule the next try.
     *
     * @param int $id outbox row id
     * @param bridge_client|null $client client, built from the settings when null
     * @param bool $reschedule on failure queue the next try; false when a task is already queued
     * @return bool true when the bridge has acknowledged (now or before)
     */
    public static function deliver(int $id, ?bridge_client $client = null, bool $reschedule = true): bool {
        global $DB;
        $row = $DB->get_record('local_bridge_notification', ['id' => $id]);
        if (!$row || $row->status === self::ACKNOWLEDGED) {
            return true;
        }
        $error = null;
        try {
            $response = ($client ?? self::client())->send_notification($row->payload);
            if (!$response->is_success()) {
                $error = "HTTP {$response->status}: " . \core_text::substr($response->body, 0, 500);
            }
        } catch (\Throwable $e) {
            $error = $e->getMessage();
        }

        $now = time();
        $row->attempts++;
        $row->timemodified = $now;
        $transaction = $DB->start_delegated_transaction();
        if ($error === null) {
            $row->status = self::ACKNOWLEDGED;
            $row->timeacknowledged = $now;
            $row->lasterror = null;
        } else {
            $row->lasterror = $error;
            if ($reschedule) {
                $row->nextattempt = $now + retry_policy::delay((int) $row->attempts);
                self::queue((int) $row->id, (int) $row->nextattempt, false);
            }
        }
        $DB->update_record('local_bridge_notification', $row);
        $transaction->allow_commit();
        return $error === null;
    }

    /**
     * Queue a delivery task for a row.
     *
     * @param int $id outbox row id
     * @param int $runtime earliest run time
     * @param bool $checkforexisting skip when an identical task is already queued
     */
    public static function queue(int $id, int $runtime, bool $checkforexisting): void {
        $task = new notify_bridge();
        $task->set_custom_data(['notificationid' => $id]);
        $task->set_next_run_time($runtime);
        \core\task\manager::queue_adhoc_task($task, $checkforexisting);
    }

    /**
     * A client configured from the site settings.
     *
     * @param int $timeout total seconds a request may take
     * @param int $connecttimeout seconds allowed to connect
     * @return bridge_client
     */
    public static function client(int $timeout = 20, int $connecttimeout = 5): bridge_client {
        $config = get_config('local_bridge');
        $signer = new signer((string) ($config->secret ?? ''), (string) ($config->siteid ?? ''));
        return new bridge_client(new curl_transport($timeout, $connecttimeout), $signer, (string) ($config->bridgeurl ?? ''));
    }
}
