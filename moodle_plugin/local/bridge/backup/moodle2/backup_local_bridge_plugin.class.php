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
 * Backup of the Autograding content of an assignment or quiz (module.xml, local plugin part).
 *
 * @package    local_bridge
 * @category   backup
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * Adds the activity's Autograding settings, its question links and both file areas to module.xml.
 *
 * Teacher content, so it is backed up whatever the user data setting; what the bridge said
 * (bridgestatus, bridgemessage) is left out: it was said about the original course module.
 */
class backup_local_bridge_plugin extends backup_local_plugin {
    /**
     * The plugin's part of module.xml, for the modules that can be autograded.
     *
     * @return backup_plugin_element|null
     */
    protected function define_module_plugin_structure() {
        if (!in_array($this->task->get_modulename(), \local_bridge\local\activity_settings::MODULES, true)) {
            return null;
        }
        $plugin = $this->get_plugin_element();
        $wrapper = new backup_nested_element($this->get_recommended_name());
        $plugin->add_child($wrapper);

        $settings = new backup_nested_element('bridge_activity', ['id'], ['enabled', 'exercise', 'timemodified']);
        $links = new backup_nested_element('bridge_questions');
        $link = new backup_nested_element(
            'bridge_question',
            ['id'],
            ['questionbankentryid', 'linked', 'exercise', 'timemodified']
        );
        $wrapper->add_child($settings);
        $wrapper->add_child($links);
        $links->add_child($link);

        $settings->set_source_table('local_bridge_activity', ['cmid' => backup::VAR_MODID]);
        $link->set_source_table('local_bridge_question', ['cmid' => backup::VAR_MODID], 'id ASC');

        // The assignment's exercise files (item 0), and each question's (item = its link id).
        $settings->annotate_files('local_bridge', \local_bridge\local\exercise_files::ACTIVITY_AREA, null);
        $link->annotate_files('local_bridge', \local_bridge\local\exercise_files::QUESTION_AREA, 'id');
        return $plugin;
    }
}
