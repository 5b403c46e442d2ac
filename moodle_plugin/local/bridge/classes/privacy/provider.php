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

namespace local_bridge\privacy;

use core_privacy\local\metadata\collection;
use core_privacy\local\request\approved_contextlist;
use core_privacy\local\request\approved_userlist;
use core_privacy\local\request\contextlist;
use core_privacy\local\request\userlist;
use core_privacy\local\request\writer;

/**
 * Privacy provider: the bridge is an external location; the outbox holds one row per submission.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class provider implements
    \core_privacy\local\metadata\provider,
    \core_privacy\local\request\core_userlist_provider,
    \core_privacy\local\request\plugin\provider {
    /**
     * Describe the data.
     *
     * @param collection $collection collection to add to
     * @return collection
     */
    public static function get_metadata(collection $collection): collection {
        $collection->add_external_location_link('bridge', [
            'userid' => 'privacy:metadata:bridge:userid',
            'submission' => 'privacy:metadata:bridge:submission',
            'files' => 'privacy:metadata:bridge:files',
            'quizattempt' => 'privacy:metadata:bridge:quizattempt',
            'timesubmitted' => 'privacy:metadata:bridge:timesubmitted',
            'gradehistory' => 'privacy:metadata:bridge:gradehistory',
        ], 'privacy:metadata:bridge');
        $collection->add_database_table('local_bridge_notification', [
            'userid' => 'privacy:metadata:notification:userid',
            'kind' => 'privacy:metadata:notification:kind',
            'itemid' => 'privacy:metadata:notification:itemid',
            'payload' => 'privacy:metadata:notification:payload',
            'status' => 'privacy:metadata:notification:status',
            'timecreated' => 'privacy:metadata:notification:timecreated',
        ], 'privacy:metadata:notification');
        $collection->add_database_table('local_bridge_failure', [
            'userid' => 'privacy:metadata:failure:userid',
            'reason' => 'privacy:metadata:failure:reason',
            'detail' => 'privacy:metadata:failure:detail',
            'timecreated' => 'privacy:metadata:failure:timecreated',
        ], 'privacy:metadata:failure');
        // The exercise files (areas exercise and questionexercise) are stored through the File API.
        // They are teacher content, as an activity's description is: declared here so the
        // registry names them, and never part of a user's export or deletion.
        $collection->add_subsystem_link('core_files', [], 'privacy:metadata:core_files');
        return $collection;
    }

    /**
     * Module contexts in which the user has notifications.
     *
     * @param int $userid user id
     * @return contextlist
     */
    public static function get_contexts_for_userid(int $userid): contextlist {
        $contextlist = new contextlist();
        $contextlist->add_from_sql(
            "SELECT ctx.id
               FROM {local_bridge_notification} n
               JOIN {context} ctx ON ctx.instanceid = n.cmid AND ctx.contextlevel = :modulelevel
              WHERE n.userid = :userid",
            ['modulelevel' => CONTEXT_MODULE, 'userid' => $userid]
        );
        $contextlist->add_from_sql(
            "SELECT ctx.id
               FROM {local_bridge_failure} f
               JOIN {context} ctx ON ctx.instanceid = f.cmid AND ctx.contextlevel = :modulelevel
              WHERE f.userid = :userid",
            ['modulelevel' => CONTEXT_MODULE, 'userid' => $userid]
        );
        return $contextlist;
    }

    /**
     * Users with notifications in a module context.
     *
     * @param userlist $userlist list to fill
     */
    public static function get_users_in_context(userlist $userlist): void {
        $context = $userlist->get_context();
        if ($context instanceof \context_module) {
            $userlist->add_from_sql(
                'userid',
                'SELECT userid FROM {local_bridge_notification} WHERE cmid = :cmid',
                ['cmid' => $context->instanceid]
            );
            $userlist->add_from_sql(
                'userid',
                'SELECT userid FROM {local_bridge_failure} WHERE cmid = :cmid',
                ['cmid' => $context->instanceid]
            );
        }
    }

    /**
     * Export the user's notifications.
     *
     * @param approved_contextlist $contextlist approved contexts
     */
    public static function export_user_data(approved_contextlist $contextlist): void {
        global $DB;
        $userid = $contextlist->get_user()->id;
        foreach ($contextlist->get_contexts() as $context) {
            if (!$context instanceof \context_module) {
                continue;
            }
            $rows = $DB->get_records(
                'local_bridge_notification',
                ['userid' => $userid, 'cmid' => $context->instanceid],
                'timecreated',
                'id, kind, itemid, payload, status, timecreated, timeacknowledged'
            );
            $failures = $DB->get_records(
                'local_bridge_failure',
                ['userid' => $userid, 'cmid' => $context->instanceid],
                'timecreated',
                'id, kind, attempt, reason, detail, timecreated'
            );
            if ($rows || $failures) {
                writer::with_context($context)->export_data(
                    [get_string('pluginname', 'local_bridge')],
                    (object) ['notifications' => array_values($rows), 'failures' => array_values($failures)]
                );
            }
            // The bridge's grade history of the user's submissions in this activity (issue 13).
            bridge_history::export($context, (int) $userid);
        }
    }

    /**
     * Delete all notifications of a module context.
     *
     * @param \context $context context
     */
    public static function delete_data_for_all_users_in_context(\context $context): void {
        global $DB;
        if ($context instanceof \context_module) {
            $DB->delete_records('local_bridge_notification', ['cmid' => $context->instanceid]);
            $DB->delete_records('local_bridge_failure', ['cmid' => $context->instanceid]);
        }
    }

    /**
     * Delete the user's notifications in the approved contexts.
     *
     * @param approved_contextlist $contextlist approved contexts
     */
    public static function delete_data_for_user(approved_contextlist $contextlist): void {
        global $DB;
        $userid = $contextlist->get_user()->id;
        foreach ($contextlist->get_contexts() as $context) {
            if ($context instanceof \context_module) {
                $DB->delete_records('local_bridge_notification', ['userid' => $userid, 'cmid' => $context->instanceid]);
                $DB->delete_records('local_bridge_failure', ['userid' => $userid, 'cmid' => $context->instanceid]);
            }
        }
    }

    /**
     * Delete the notifications of several users in one context.
     *
     * @param approved_userlist $userlist approved users
     */
    public static function delete_data_for_users(approved_userlist $userlist): void {
        global $DB;
        $context = $userlist->get_context();
        if (!$context instanceof \context_module || !$userlist->get_userids()) {
            return;
        }
        [$insql, $params] = $DB->get_in_or_equal($userlist->get_userids(), SQL_PARAMS_NAMED);
        foreach (['local_bridge_notification', 'local_bridge_failure'] as $table) {
            $DB->delete_records_select($table, "cmid = :cmid AND userid {$insql}", ['cmid' => $context->instanceid] + $params);
        }
    }
}
