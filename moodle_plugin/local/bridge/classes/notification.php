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
 * Builds the notification body (tests/vectors/notification.schema.json) from a Moodle event.
 *
 * Works on the event's get_data() array and the record snapshot, so it runs without Moodle.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class notification {
    /** @var int version of the body format */
    public const SCHEMA = 1;

    /** @var array event name => [kind, snapshot table] */
    public const EVENTS = [
        '\mod_assign\event\assessable_submitted' => ['assign_submission', 'assign_submission'],
        '\mod_quiz\event\attempt_submitted' => ['quiz_attempt', 'quiz_attempts'],
    ];

    /**
     * The snapshot table an event's notification is built from.
     *
     * @param string $eventname event class name with leading backslash
     * @return string table name
     */
    public static function snapshot_table(string $eventname): string {
        if (!isset(self::EVENTS[$eventname])) {
            throw new \InvalidArgumentException("Event {$eventname} is not forwarded to the bridge");
        }
        return self::EVENTS[$eventname][1];
    }

    /**
     * Stable id of one Moodle event: a redelivery carries the same id.
     *
     * @param string $site site identifier
     * @param string $eventname event name
     * @param int $cmid course module id
     * @param int $objectid event objectid
     * @param int $timecreated event time
     * @return string 64 lowercase hex digits
     */
    public static function event_id(string $site, string $eventname, int $cmid, int $objectid, int $timecreated): string {
        return hash('sha256', "{$site}|{$eventname}|{$cmid}|{$objectid}|{$timecreated}");
    }

    /**
     * Build the notification for an event.
     *
     * The owner of the submission is taken from the snapshot: relateduserid is empty when a
     * student submits for themself, and a team submission's row has userid 0 (then the actor).
     *
     * @param array $event $event->get_data()
     * @param array $snapshot the assign_submission or quiz_attempts row
     * @param string $site site identifier
     * @return array the body, keys in schema order
     */
    public static function from_event(array $event, array $snapshot, string $site): array {
        $eventname = (string) ($event['eventname'] ?? '');
        [$kind, $table] = self::EVENTS[$eventname] ?? [null, null];
        if ($kind === null) {
            throw new \InvalidArgumentException("Event {$eventname} is not forwarded to the bridge");
        }
        $cmid = self::positive($event['contextinstanceid'] ?? null, 'contextinstanceid');
        $objectid = self::positive($event['objectid'] ?? null, 'objectid');
        $timecreated = self::positive($event['timecreated'] ?? null, 'timecreated');
        if ((int) ($snapshot['id'] ?? 0) !== $objectid) {
            throw new \InvalidArgumentException("The {$table} snapshot does not belong to object {$objectid}");
        }
        $owner = (int) ($snapshot['userid'] ?? 0) ?: (int) ($event['relateduserid'] ?? 0) ?: (int) ($event['userid'] ?? 0);
        if ($kind === 'assign_submission') {
            $instanceid = $snapshot['assignment'] ?? null;
            $attempt = (int) ($snapshot['attemptnumber'] ?? 0);
        } else {
            $instanceid = $snapshot['quiz'] ?? ($event['other']['quizid'] ?? null);
            $attempt = self::positive($snapshot['attempt'] ?? null, 'attempt');
        }
        return [
            'schema' => self::SCHEMA,
            'site' => $site,
            'event_id' => self::event_id($site, $eventname, $cmid, $objectid, $timecreated),
            'kind' => $kind,
            'course_id' => self::positive($event['courseid'] ?? null, 'courseid'),
            'cmid' => $cmid,
            'instance_id' => self::positive($instanceid, 'instance id'),
            'item_id' => $objectid,
            'user_id' => self::positive($owner, 'user id'),
            'attempt_number' => $attempt,
            'submitted_at' => $timecreated,
            'event' => $eventname,
        ];
    }

    /**
     * JSON text of a body, exactly as it is signed and sent.
     *
     * @param array $body notification
     * @return string
     */
    public static function encode(array $body): string {
        return json_encode($body, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
    }

    /**
     * An integer >= 1 from an event field (Moodle often hands numbers over as strings).
     *
     * @param mixed $value raw value
     * @param string $what name for the error message
     * @return int
     */
    private static function positive(mixed $value, string $what): int {
        if ((is_int($value) || (is_string($value) && ctype_digit($value))) && (int) $value >= 1) {
            return (int) $value;
        }
        throw new \InvalidArgumentException("Missing or invalid {$what}");
    }
}
