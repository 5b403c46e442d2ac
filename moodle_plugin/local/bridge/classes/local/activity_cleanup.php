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
 * Removes the plugin's rows of a deleted activity, or of every activity of a deleted course.
 *
 * Core deletes the module context's files (both exercise file areas) itself. The bridge keeps
 * its exercise link and results: it is never called from here (a deletion may run in cron, and
 * must not wait for the bridge); operators remove them through the bridge's API.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class activity_cleanup {
    /** @var string[] the plugin's tables keyed by course module (field cmid) */
    public const TABLES = ['local_bridge_question', 'local_bridge_activity', 'local_bridge_notification', 'local_bridge_failure'];

    /**
     * Delete every row of one course module.
     *
     * @param int $cmid course module id
     */
    public static function delete_cm(int $cmid): void {
        global $DB;
        $transaction = $DB->start_delegated_transaction();
        foreach (self::TABLES as $table) {
            $DB->delete_records($table, ['cmid' => $cmid]);
        }
        $transaction->allow_commit();
    }

    /**
     * Delete the rows of every course module of a course (core's course deletion removes its
     * modules without the per-module callback).
     *
     * @param int $courseid course id
     */
    public static function delete_course(int $courseid): void {
        global $DB;
        $transaction = $DB->start_delegated_transaction();
        foreach (self::TABLES as $table) {
            $DB->delete_records_select(
                $table,
                'cmid IN (SELECT id FROM {course_modules} WHERE course = :courseid)',
                ['courseid' => $courseid]
            );
        }
        $transaction->allow_commit();
    }

    /**
     * Hook callback: a course is about to be deleted.
     *
     * @param \core_course\hook\before_course_deleted $hook the hook
     */
    public static function before_course_deleted(\core_course\hook\before_course_deleted $hook): void {
        self::delete_course((int) $hook->course->id);
    }
}
