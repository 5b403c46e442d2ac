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

use local_bridge\exercise_package;

/**
 * The exercise's files in Moodle: a file area of local_bridge in the activity's context.
 *
 * An assignment's exercise lives in area "exercise" (item 0); a linked quiz question's in area
 * "questionexercise", item = its local_bridge_question row id. The form edits a draft copy
 * with core's file manager (folders allowed); saving moves it into the area.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class exercise_files {
    /** @var string file area of an assignment's exercise files */
    public const ACTIVITY_AREA = 'exercise';
    /** @var string file area of a quiz question's exercise files, one item per link */
    public const QUESTION_AREA = 'questionexercise';

    /**
     * Options of the file manager: folders, at most the files and bytes the bridge takes.
     *
     * @return array
     */
    public static function options(): array {
        global $CFG;
        // FILE_INTERNAL lives in repository/lib.php, which the questions page does not load otherwise.
        require_once($CFG->dirroot . '/repository/lib.php');
        return [
            'subdirs' => 1,
            'maxfiles' => exercise_package::MAX_FILES,
            'maxbytes' => exercise_package::MAX_BYTES,
            'areamaxbytes' => exercise_package::MAX_BYTES,
            'accepted_types' => '*',
            'return_types' => FILE_INTERNAL,
        ];
    }

    /**
     * The limits as the teacher should read them: core's file manager prints its sizes with no
     * decimals, so the real 1.5 MB area limit shows there as "2 MB".
     *
     * @return string
     */
    public static function limits_text(): string {
        return get_string('exercisefileslimits', 'local_bridge', (object) [
            'files' => exercise_package::MAX_FILES,
            'size' => display_size(exercise_package::MAX_BYTES),
        ]);
    }

    /**
     * A draft area holding a copy of the stored files, for the form's file manager.
     *
     * @param int|null $contextid module context id, null before the activity exists
     * @param string $area one of the area constants
     * @param int $itemid 0 for an activity, the link id for a question
     * @return int draft item id
     */
    public static function prepare_draft(?int $contextid, string $area, int $itemid): int {
        global $CFG;
        require_once($CFG->libdir . '/filelib.php');
        $draftitemid = 0;
        file_prepare_draft_area($draftitemid, $contextid, 'local_bridge', $area, $itemid, self::options());
        return (int) $draftitemid;
    }

    /**
     * Store the draft's files in the area (replacing what was there).
     *
     * @param int $draftitemid the file manager's value
     * @param int $contextid module context id
     * @param string $area one of the area constants
     * @param int $itemid 0 for an activity, the link id for a question
     */
    public static function save_draft(int $draftitemid, int $contextid, string $area, int $itemid): void {
        global $CFG;
        require_once($CFG->libdir . '/filelib.php');
        file_save_draft_area_files($draftitemid, $contextid, 'local_bridge', $area, $itemid, self::options());
    }

    /**
     * The files of the current user's draft area, path => content.
     *
     * @param int $draftitemid the file manager's value
     * @return array
     */
    public static function draft_files(int $draftitemid): array {
        global $USER;
        return self::read(\context_user::instance($USER->id)->id, 'user', 'draft', $draftitemid);
    }

    /**
     * The stored files of an exercise, path => content.
     *
     * @param int $contextid module context id
     * @param string $area one of the area constants
     * @param int $itemid 0 for an activity, the link id for a question
     * @return array
     */
    public static function stored_files(int $contextid, string $area, int $itemid): array {
        return self::read($contextid, 'local_bridge', $area, $itemid);
    }

    /**
     * What the teacher reads for a refused package.
     *
     * @param \local_bridge\package_refused $refused the refusal
     * @return string
     */
    public static function message(\local_bridge\package_refused $refused): string {
        $a = $refused->stringid === 'exercisefilestoolarge' ? display_size((int) $refused->a) : $refused->a;
        return get_string($refused->stringid, 'local_bridge', $a);
    }

    /**
     * Read an area's files by relative path, directories left out, sizes checked first.
     *
     * @param int $contextid context id
     * @param string $component component
     * @param string $area file area
     * @param int $itemid item id
     * @return array path => content
     */
    private static function read(int $contextid, string $component, string $area, int $itemid): array {
        $found = get_file_storage()->get_area_files($contextid, $component, $area, $itemid, 'filepath, filename', false);
        if (count($found) > exercise_package::MAX_FILES) {
            throw new \local_bridge\package_refused('exercisetoomanyfiles', (string) exercise_package::MAX_FILES);
        }
        $total = 0;
        foreach ($found as $file) {
            $total += (int) $file->get_filesize();
        }
        if ($total > exercise_package::MAX_BYTES) {
            throw new \local_bridge\package_refused('exercisefilestoolarge', (string) exercise_package::MAX_BYTES);
        }
        $files = [];
        foreach ($found as $file) {
            $files[ltrim($file->get_filepath() . $file->get_filename(), '/')] = $file->get_content();
        }
        return $files;
    }
}
