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

/**
 * Ad-hoc task: deliver one outbox notification to the bridge.
 *
 * Carries only the outbox row id. A failed delivery schedules a fresh task with its own backoff
 * ({@see \local_bridge\retry_policy}) in the same transaction that records the failure, so the
 * notification is retried until the bridge acknowledges; this task itself then ends normally.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class notify_bridge extends \core\task\adhoc_task {
    /**
     * Task name.
     *
     * @return string
     */
    public function get_name() {
        return get_string('task_notify_bridge', 'local_bridge');
    }

    /**
     * Deliver.
     */
    public function execute() {
        global $DB;
        $id = (int) ($this->get_custom_data()->notificationid ?? 0);
        // Said apart in the task log, so that who delivered (the first try or cron) can be read there.
        $status = $DB->get_field('local_bridge_notification', 'status', ['id' => $id]);
        if ($status === \local_bridge\local\outbox::ACKNOWLEDGED) {
            mtrace("local_bridge: notification {$id} already acknowledged (by the first try or an earlier task)");
            return;
        }
        $acknowledged = \local_bridge\local\outbox::deliver($id);
        $outcome = $acknowledged ? 'acknowledged by this task' : 'not acknowledged, retry scheduled';
        mtrace("local_bridge: notification {$id} {$outcome}");
    }
}
