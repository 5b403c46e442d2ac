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
 * Upgrade steps for local_bridge.
 *
 * The schema of a fresh install is db/install.xml; each later change to it gets a step here,
 * guarded by the version it arrives in, ending with upgrade_plugin_savepoint().
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

/**
 * Upgrade local_bridge from an older version.
 *
 * @param int $oldversion the version installed before this upgrade
 * @return bool always true
 */
function xmldb_local_bridge_upgrade($oldversion) {
    global $DB;

    $dbman = $DB->get_manager();

    // Automatically generated Moodle v5.0.0 release upgrade line.
    // Put any upgrade step following this.

    if ($oldversion < 2026120101) {
        // Quiz questions linked to exercises, keyed by question bank entry.
        $table = new xmldb_table('local_bridge_question');
        $table->add_field('id', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, XMLDB_SEQUENCE, null);
        $table->add_field('cmid', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, null);
        $table->add_field('questionbankentryid', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, null);
        $table->add_field('linked', XMLDB_TYPE_INTEGER, '1', null, XMLDB_NOTNULL, null, '0');
        $table->add_field('exercise', XMLDB_TYPE_TEXT, null, null, null, null, null);
        $table->add_field('bridgestatus', XMLDB_TYPE_CHAR, '16', null, XMLDB_NOTNULL, null, 'unknown');
        $table->add_field('bridgemessage', XMLDB_TYPE_TEXT, null, null, null, null, null);
        $table->add_field('timemodified', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '0');
        $table->add_key('primary', XMLDB_KEY_PRIMARY, ['id']);
        $table->add_key('cmid', XMLDB_KEY_FOREIGN, ['cmid'], 'course_modules', ['id']);
        $table->add_key('questionbankentryid', XMLDB_KEY_FOREIGN, ['questionbankentryid'], 'question_bank_entries', ['id']);
        $table->add_index('cmid-questionbankentryid', XMLDB_INDEX_UNIQUE, ['cmid', 'questionbankentryid']);
        if (!$dbman->table_exists($table)) {
            $dbman->create_table($table);
        }
        upgrade_plugin_savepoint(true, 2026120101, 'local', 'bridge');
    }

    if ($oldversion < 2026120201) {
        // Grading failures told to teachers once (issue 17).
        $table = new xmldb_table('local_bridge_failure');
        $table->add_field('id', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, XMLDB_SEQUENCE, null);
        $table->add_field('failureid', XMLDB_TYPE_CHAR, '64', null, XMLDB_NOTNULL, null, null);
        $table->add_field('cmid', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, null);
        $table->add_field('userid', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, null);
        $table->add_field('kind', XMLDB_TYPE_CHAR, '32', null, XMLDB_NOTNULL, null, null);
        $table->add_field('attempt', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '0');
        $table->add_field('reason', XMLDB_TYPE_CHAR, '32', null, XMLDB_NOTNULL, null, null);
        $table->add_field('detail', XMLDB_TYPE_TEXT, null, null, null, null, null);
        $table->add_field('messagessent', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '0');
        $table->add_field('timecreated', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, null);
        $table->add_key('primary', XMLDB_KEY_PRIMARY, ['id']);
        $table->add_key('userid', XMLDB_KEY_FOREIGN, ['userid'], 'user', ['id']);
        $table->add_index('failureid', XMLDB_INDEX_UNIQUE, ['failureid']);
        $table->add_index('cmid-userid', XMLDB_INDEX_NOTUNIQUE, ['cmid', 'userid']);
        if (!$dbman->table_exists($table)) {
            $dbman->create_table($table);
        }
        upgrade_plugin_savepoint(true, 2026120201, 'local', 'bridge');
    }

    if ($oldversion < 2026120207) {
        // The hash of the exercise upload the bridge last accepted: a save sends again until it did.
        foreach (['local_bridge_activity', 'local_bridge_question'] as $name) {
            $table = new xmldb_table($name);
            $field = new xmldb_field('acceptedhash', XMLDB_TYPE_CHAR, '64', null, null, null, null, 'bridgemessage');
            if (!$dbman->field_exists($table, $field)) {
                $dbman->add_field($table, $field);
            }
        }
        upgrade_plugin_savepoint(true, 2026120207, 'local', 'bridge');
    }

    if ($oldversion < 2026120208) {
        // Rows of activities deleted before the plugin removed them with the activity.
        foreach (\local_bridge\local\activity_cleanup::TABLES as $name) {
            $DB->delete_records_select($name, 'cmid NOT IN (SELECT id FROM {course_modules})');
        }
        upgrade_plugin_savepoint(true, 2026120208, 'local', 'bridge');
    }

    return true;
}
