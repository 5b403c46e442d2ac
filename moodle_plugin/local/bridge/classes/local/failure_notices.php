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

/**
 * Failures of grading, each told to the activity's teachers once through Moodle messaging.
 *
 * A failure comes from the bridge (its /failures list, read by the fetch_failures task, or a
 * failed state seen by anyone's page) with a stable `failure_id`. The row in
 * local_bridge_failure (unique failureid) and the messages are written in one transaction:
 * Moodle holds messages sent inside a transaction until it commits, so a failure seen twice,
 * by two requests at once or after a retry, is told once.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class failure_notices {
    /** @var int longest error text kept */
    private const MAX_DETAIL = 1000;
    /** @var int most teachers told of one failure */
    private const MAX_RECIPIENTS = 50;

    /**
     * Record a failure and tell the teachers, unless it was recorded before.
     *
     * @param array $failure failure_id, kind, cmid, user_id, attempt_number, reason, detail
     * @return bool true when it was new (and the teachers were told)
     */
    public static function record(array $failure): bool {
        global $DB;
        $failureid = (string) ($failure['failure_id'] ?? '');
        if (!preg_match('/^[0-9a-f]{64}$/', $failureid)) {
            return false;
        }
        if ($DB->record_exists('local_bridge_failure', ['failureid' => $failureid])) {
            return false;
        }
        $cm = get_coursemodule_from_id('', (int) ($failure['cmid'] ?? 0));
        $row = (object) [
            'failureid' => $failureid,
            'cmid' => (int) ($failure['cmid'] ?? 0),
            'userid' => (int) ($failure['user_id'] ?? 0),
            'kind' => \core_text::substr((string) ($failure['kind'] ?? ''), 0, 32),
            'attempt' => (int) ($failure['attempt_number'] ?? 0),
            'reason' => \core_text::substr((string) ($failure['reason'] ?? ''), 0, 32),
            'detail' => \core_text::substr((string) ($failure['detail'] ?? ''), 0, self::MAX_DETAIL),
            'messagessent' => 0,
            'timecreated' => time(),
        ];
        $transaction = $DB->start_delegated_transaction();
        try {
            $row->id = $DB->insert_record('local_bridge_failure', $row);
            if ($cm) {
                $row->messagessent = self::tell_teachers($cm, $row);
                $DB->set_field('local_bridge_failure', 'messagessent', $row->messagessent, ['id' => $row->id]);
            }
            $transaction->allow_commit();
        } catch (\dml_write_exception $e) {
            // Another request recorded the same failure a moment before: it told the teachers.
            try {
                $transaction->rollback($e);
            } catch (\dml_write_exception $rethrown) {
                // The rollback hands the exception back; it is answered here.
                unset($rethrown);
            }
            return false;
        }
        return true;
    }

    /**
     * Send the message to everyone who grades the activity.
     *
     * @param \stdClass $cm course module with modname
     * @param \stdClass $row local_bridge_failure row
     * @return int messages sent
     */
    private static function tell_teachers(\stdClass $cm, \stdClass $row): int {
        $context = \context_module::instance($cm->id);
        $teachers = get_enrolled_users($context, "mod/{$cm->modname}:grade", 0, 'u.*', 'u.id', 0, self::MAX_RECIPIENTS, true);
        if (!$teachers) {
            return 0;
        }
        $student = \core_user::get_user($row->userid);
        $url = new \moodle_url('/local/bridge/grading.php', ['cmid' => $cm->id]);
        $a = (object) [
            'activity' => format_string($cm->name, true, ['context' => $context]),
            'student' => $student ? fullname($student) : (string) $row->userid,
            'reason' => get_string_manager()->string_exists('reason_' . $row->reason, 'local_bridge')
                ? get_string('reason_' . $row->reason, 'local_bridge') : $row->reason,
            'detail' => $row->detail,
            'url' => $url->out(false),
        ];
        $sent = 0;
        foreach ($teachers as $teacher) {
            $message = new \core\message\message();
            $message->component = 'local_bridge';
            $message->name = 'gradingfailed';
            $message->userfrom = \core_user::get_noreply_user();
            $message->userto = $teacher;
            $message->subject = get_string('failuresubject', 'local_bridge', $a);
            $message->fullmessage = get_string('failurebody', 'local_bridge', $a);
            $message->fullmessageformat = FORMAT_PLAIN;
            $message->fullmessagehtml = text_to_html(s($message->fullmessage), false, false, true);
            $message->smallmessage = get_string('failuresubject', 'local_bridge', $a);
            $message->notification = 1;
            $message->contexturl = $url->out(false);
            $message->contexturlname = get_string('gradingpage', 'local_bridge');
            $message->courseid = (int) $cm->course;
            if (message_send($message)) {
                $sent++;
            }
        }
        return $sent;
    }
}
