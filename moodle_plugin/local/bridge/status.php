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
 * Delivery status of submission notifications to the bridge.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');
require_once($CFG->libdir . '/adminlib.php');

admin_externalpage_setup('local_bridge_status');
$context = context_system::instance();
require_capability('local/bridge:viewstatus', $context);

$retry = optional_param('retry', 0, PARAM_INT);
if ($retry && confirm_sesskey()) {
    \local_bridge\local\outbox::queue($retry, time(), false);
    redirect($PAGE->url, get_string('retryqueued', 'local_bridge'));
}

$counts = $DB->get_records_sql_menu('SELECT status, COUNT(1) FROM {local_bridge_notification} GROUP BY status');
$rows = $DB->get_records('local_bridge_notification', null, 'status DESC, timecreated DESC', '*', 0, 100);

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('statuspage', 'local_bridge'));
echo html_writer::tag('p', get_string('statuscounts', 'local_bridge', (object) [
    'pending' => (int) ($counts['pending'] ?? 0),
    'acknowledged' => (int) ($counts['acknowledged'] ?? 0),
]));

$table = new html_table();
$table->head = [get_string('kind', 'local_bridge'), get_string('item', 'local_bridge'), 'cmid',
    get_string('status'), get_string('attempts', 'local_bridge'), get_string('lasterror', 'local_bridge'),
    get_string('nextattempt', 'local_bridge'), get_string('timecreated'), ''];
foreach ($rows as $row) {
    $action = '';
    if ($row->status !== \local_bridge\local\outbox::ACKNOWLEDGED) {
        $action = html_writer::link(
            new moodle_url($PAGE->url, ['retry' => $row->id, 'sesskey' => sesskey()]),
            get_string('retrynow', 'local_bridge')
        );
    }
    $table->data[] = [s($row->kind), $row->itemid, $row->cmid, s($row->status), $row->attempts,
        s(shorten_text((string) $row->lasterror, 200)),
        $row->status === \local_bridge\local\outbox::ACKNOWLEDGED ? '' : userdate($row->nextattempt),
        userdate($row->timecreated), $action];
}
echo html_writer::table($table);

// Begin: autograding state of the listed submissions (issue 17), asked of the bridge in one question.
echo $OUTPUT->heading(get_string('gradingstates', 'local_bridge'), 3);
$stateitems = [];
foreach ($rows as $row) {
    $stateitems[$row->kind . '|' . $row->cmid . '|' . $row->userid] = [
        'kind' => $row->kind, 'cmid' => (int) $row->cmid, 'user_id' => (int) $row->userid,
    ];
}
echo \local_bridge\output\state_table::render(array_values($stateitems), true);
// End: autograding state (issue 17).

// Begin: results, regrade and grade history of the listed activities and submissions (issue 13).
echo \local_bridge\output\results_view::status_links($rows);
// End: results and history (issue 13).

echo $OUTPUT->footer();
