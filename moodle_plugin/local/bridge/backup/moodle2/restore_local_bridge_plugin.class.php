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

/**
 * Restore of the Autograding content of an assignment or quiz (module.xml, local plugin part).
 *
 * @package    local_bridge
 * @category   backup
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

use local_bridge\local\exercise_files;
use local_bridge\restored_content;

/**
 * Restores the Autograding settings, question links and exercise files of a restored,
 * imported or duplicated activity, marked as not linked on the bridge yet.
 */
class restore_local_bridge_plugin extends restore_local_plugin {
    /** @var int[] old link id => new link id, whose question files are restored at the end */
    protected $links = [];

    /**
     * Paths of the plugin's part of module.xml.
     *
     * @return restore_path_element[]
     */
    protected function define_module_plugin_structure() {
        return [
            new restore_path_element($this->get_namefor('activity'), $this->get_pathfor('/bridge_activity')),
            new restore_path_element($this->get_namefor('question'), $this->get_pathfor('/bridge_questions/bridge_question')),
        ];
    }

    /**
     * The Autograding settings, for the new course module.
     *
     * @param array $data the bridge_activity element
     */
    public function process_local_bridge_activity($data) {
        global $DB;
        $cmid = (int) $this->task->get_moduleid();
        if (!$DB->record_exists('local_bridge_activity', ['cmid' => $cmid])) {
            $DB->insert_record('local_bridge_activity', restored_content::activity_row((object) $data, $cmid, time()));
        }
    }

    /**
     * A question link, for the new quiz and the restored question bank entry.
     *
     * The root task has restored the questions before any activity, so the entry is mapped.
     *
     * @param array $data the bridge_question element
     */
    public function process_local_bridge_question($data) {
        global $DB;
        $data = (object) $data;
        $cmid = (int) $this->task->get_moduleid();
        $old = (int) $data->questionbankentryid;
        $mapped = (int) $this->get_mappingid('question_bank_entry', $old, 0);
        $samesite = $this->task->is_samesite();
        $oldexists = !$mapped && $samesite && $old > 0 && $DB->record_exists('question_bank_entries', ['id' => $old]);
        $entryid = restored_content::entry($mapped, $old, $samesite, $oldexists);
        if ($entryid === null) {
            $this->step->log(
                "local_bridge: question link {$data->id} left out, question bank entry {$old} not restored",
                backup::LOG_WARNING
            );
            return;
        }
        if ($DB->record_exists('local_bridge_question', ['cmid' => $cmid, 'questionbankentryid' => $entryid])) {
            return;
        }
        $newid = $DB->insert_record('local_bridge_question', restored_content::question_row($data, $cmid, $entryid, time()));
        $this->links[(int) $data->id] = (int) $newid;
    }

    /**
     * The exercise files, once the activity's old context is known.
     *
     * module.xml is read before the activity's own step names the old context (and maps it),
     * so the files can only be sent to the pool here.
     */
    public function after_restore_module() {
        if (!in_array($this->task->get_modulename(), \local_bridge\local\activity_settings::MODULES, true)) {
            return;
        }
        $this->add_related_files('local_bridge', exercise_files::ACTIVITY_AREA, null);
        if (!$this->links) {
            return;
        }
        foreach ($this->links as $old => $new) {
            // Again, now with files: the files' item ids are matched in the backup's old context.
            $this->set_mapping('local_bridge_question', $old, $new, true);
        }
        $this->add_related_files('local_bridge', exercise_files::QUESTION_AREA, 'local_bridge_question');
    }
}
