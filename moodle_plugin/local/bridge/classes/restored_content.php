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
 * The rows a restored (or duplicated, imported) activity gets from its backup.
 *
 * A restored activity is a new course module the bridge has never heard of: its exercise is
 * kept but marked {@see self::STATUS}, which the Autograding section and the Autograded
 * questions page show as "save to link it"; saving sends it, since anything not valid is sent.
 * Pure logic: restore_local_bridge_plugin reads the backup and writes what this returns.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class restored_content {
    /** @var string bridgestatus of a restored row: kept from a backup, not linked on the bridge yet */
    public const STATUS = 'restored';

    /**
     * The local_bridge_activity row of the restored course module.
     *
     * @param object $data the backup's bridge_activity element (strings, as the restore parser gives them)
     * @param int $cmid the new course module id
     * @param int $now the time of the restore
     * @return \stdClass the row to insert
     */
    public static function activity_row(object $data, int $cmid, int $now): \stdClass {
        return (object) [
            'cmid' => $cmid,
            'enabled' => empty($data->enabled) ? 0 : 1,
            'exercise' => (string) ($data->exercise ?? ''),
            'bridgestatus' => self::STATUS,
            'bridgemessage' => '',
            'timemodified' => $now,
        ];
    }

    /**
     * The local_bridge_question row of a restored question link.
     *
     * @param object $data the backup's bridge_question element
     * @param int $cmid the new course module id of the quiz
     * @param int $entryid the question bank entry id in this site ({@see self::entry()})
     * @param int $now the time of the restore
     * @return \stdClass the row to insert
     */
    public static function question_row(object $data, int $cmid, int $entryid, int $now): \stdClass {
        return (object) [
            'cmid' => $cmid,
            'questionbankentryid' => $entryid,
            'linked' => empty($data->linked) ? 0 : 1,
            'exercise' => (string) ($data->exercise ?? ''),
            'bridgestatus' => self::STATUS,
            'bridgemessage' => '',
            'timemodified' => $now,
        ];
    }

    /**
     * The question bank entry a restored link points to, or null to leave the link out.
     *
     * Moodle's question restore maps every question of the backup ('question_bank_entry'); a link
     * whose question was not in it keeps its id only where that id still means the same question
     * (same site, entry still there), as the quiz's own question references do.
     *
     * @param int $mapped the entry id Moodle's restore mapped it to, 0 when none
     * @param int $old the entry id in the backup
     * @param bool $samesite the backup was made on this site
     * @param bool $oldexists an entry with the old id exists here
     * @return int|null
     */
    public static function entry(int $mapped, int $old, bool $samesite, bool $oldexists): ?int {
        if ($mapped > 0) {
            return $mapped;
        }
        return $old > 0 && $samesite && $oldexists ? $old : null;
    }
}
