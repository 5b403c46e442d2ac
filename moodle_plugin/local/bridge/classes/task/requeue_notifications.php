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

namespace local_bridge\task;

use local_bridge\local\outbox;

/**
 * Scheduled task: queue a delivery for every pending notification that is overdue.
 *
 * A safety net for ad-hoc tasks lost with a crashed cron run or deleted by an administrator.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class requeue_notifications extends \core\task\scheduled_task {
    /** @var int how late a pending notification must be before it is requeued */
    private const GRACE = 3600;

    /**
     * Task name.
     *
     * @return string
     */
    public function get_name() {
        return get_string('task_requeue_notifications', 'local_bridge');
    }

    /**
     * Requeue overdue notifications (an identical queued task is not duplicated).
     */
    public function execute() {
        global $DB;
        $rows = $DB->get_records_select(
            'local_bridge_notification',
            'status = ? AND nextattempt < ?',
            [outbox::PENDING, time() - self::GRACE],
            'nextattempt',
            'id',
            0,
            500
        );
        foreach ($rows as $row) {
            outbox::queue((int) $row->id, time(), true);
        }
        mtrace('local_bridge: ' . count($rows) . ' overdue notifications requeued');
    }
}
