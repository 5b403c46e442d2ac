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
 * Event observer: records the notification in the outbox and queues its delivery. No HTTP here.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class observer {
    /**
     * An assignment submission or a quiz attempt was submitted.
     *
     * A quiz attempt counts however it was closed: by the student, by a teacher, or by the cron
     * task that submits attempts whose time ran out ("open attempts are submitted
     * automatically"); all go through quiz_attempt::process_submit() (process_finish() before
     * 5.0), which fires attempt_submitted for every attempt that is not a preview. Attempts that
     * are abandoned ("never submitted") fire attempt_abandoned instead and are not graded.
     *
     * @param \core\event\base $event \mod_assign\event\assessable_submitted or \mod_quiz\event\attempt_submitted
     */
    public static function submitted(\core\event\base $event): void {
        $cmid = (int) $event->contextinstanceid;
        $forwarded = local\activity_settings::is_enabled($cmid)
            || ($event->objecttable === 'quiz_attempts' && local\question_links::has_linked($cmid));
        if (!$forwarded) {
            return;
        }
        $data = $event->get_data();
        $snapshot = $event->get_record_snapshot(notification::snapshot_table($data['eventname']), $event->objectid);
        $body = notification::from_event($data, (array) $snapshot, (string) get_config('local_bridge', 'siteid'));
        local\outbox::add($body);
    }
}
