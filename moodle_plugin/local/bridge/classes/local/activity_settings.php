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
 * Per-activity autograding settings (table local_bridge_activity).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class activity_settings {
    /** @var string[] module names that can be autograded */
    public const MODULES = ['assign', 'quiz'];
    /** @var int largest exercise.yaml accepted in the form */
    public const MAX_EXERCISE_BYTES = 65536;

    /**
     * The settings row of a course module, or null.
     *
     * @param int $cmid course module id
     * @return \stdClass|null
     */
    public static function get(int $cmid): ?\stdClass {
        global $DB;
        return $DB->get_record('local_bridge_activity', ['cmid' => $cmid]) ?: null;
    }

    /**
     * Whether submissions of this course module go to the bridge.
     *
     * @param int $cmid course module id
     * @return bool
     */
    public static function is_enabled(int $cmid): bool {
        global $DB;
        return $DB->record_exists('local_bridge_activity', ['cmid' => $cmid, 'enabled' => 1]);
    }

    /**
     * Save the form values; when enabled, send the exercise to the bridge and keep its verdict.
     *
     * The upload is sent whenever it differs from the last one the bridge accepted here, or none
     * was accepted ({@see \local_bridge\upload_receipt}); an unchanged, accepted one is not.
     *
     * @param int $cmid course module id
     * @param bool $enabled autograding on
     * @param string $exercise exercise.yaml text
     * @param array $activity course_id, cmid, kind, instance_id (the site is added here)
     * @param array $files the exercise's other files, path => content (Autograding file area)
     * @return \local_bridge\exercise_verdict|null the bridge's verdict, null when not asked
     */
    public static function save(
        int $cmid,
        bool $enabled,
        string $exercise,
        array $activity,
        array $files = []
    ): ?\local_bridge\exercise_verdict {
        global $DB;
        $row = self::get($cmid) ?? (object) ['cmid' => $cmid, 'bridgestatus' => 'unknown'];
        $row->enabled = (int) $enabled;
        $row->exercise = $exercise;
        $row->timemodified = time();

        $verdict = exercise_upload::send($row, $enabled, $exercise, $activity, $files, null);
        if (isset($row->id)) {
            $DB->update_record('local_bridge_activity', $row);
        } else {
            $DB->insert_record('local_bridge_activity', $row);
        }
        return $verdict;
    }
}
