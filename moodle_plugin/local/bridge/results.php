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
 * One autograded activity for its teachers: regrade with the newest exercise version (progress,
 * then old → new), per-test pass rates, and the results export.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_bridge\local\teacher_requests;
use local_bridge\output\results_view;

$cmid = required_param('cmid', PARAM_INT);
$action = optional_param('action', '', PARAM_ALPHA);
$entry = optional_param('entry', 0, PARAM_INT);
[$course, $cm] = get_course_and_cm_from_cmid($cmid);
require_login($course, false, $cm);
$context = teacher_requests::check($cm);
$canregrade = has_capability('local/bridge:configure', $context);

$url = new moodle_url('/local/bridge/results.php', ['cmid' => $cm->id]);
$PAGE->set_url($url);
$PAGE->set_title(get_string('resultspage', 'local_bridge'));
$PAGE->set_heading(format_string($course->fullname, true, ['context' => $context]));

// An assignment regrades as a whole; a quiz question by question (its linked essays).
$entries = $cm->modname === 'quiz' ? \local_bridge\local\question_links::linked_entries((int) $cm->id) : [null];
if ($action === 'regrade' && in_array($entry ?: null, $entries, true)) {
    require_sesskey();
    require_capability('local/bridge:configure', $context);
    try {
        // The bridge copies every student's submission in this one request (500: seconds), then
        // grades them as separate jobs: allow it time.
        teacher_requests::client(120)->start_regrade($cm->modname, (int) $cm->id, (int) $USER->id, $entry ?: null);
        redirect($url, get_string('regrade_started', 'local_bridge'));
    } catch (\RuntimeException | \InvalidArgumentException $e) {
        $message = get_string('bridgeunavailable', 'local_bridge', s($e->getMessage()));
        redirect($url, $message, null, \core\output\notification::NOTIFY_ERROR);
    }
}

$error = '';
$reports = [];
$rates = null;
try {
    $client = teacher_requests::client(10);
    foreach ($entries as $entryid) {
        $reports[] = [$entryid, $client->regrade($cm->modname, (int) $cm->id, null, $entryid)];
    }
    $rates = $client->pass_rates($cm->modname, (int) $cm->id);
} catch (\RuntimeException | \InvalidArgumentException $e) {
    $error = $e->getMessage();
}
$running = array_filter($reports, static fn(array $r): bool => $r[1] !== null && empty($r[1]['done']));
if ($running) {
    // Progress by reload: the page asks again every few seconds until every student is graded.
    $PAGE->set_periodic_refresh_delay(5);
}

echo $OUTPUT->header();
echo $OUTPUT->heading(get_string('resultspage', 'local_bridge') . ': ' . format_string($cm->name, true, ['context' => $context]));
if ($error !== '') {
    echo $OUTPUT->notification(get_string('bridgeunavailable', 'local_bridge', s($error)), 'error');
} else {
    foreach ($reports as [$entryid, $report]) {
        echo results_view::regrade_block($cm, $report, $canregrade, $entryid);
    }
    echo $OUTPUT->heading(get_string('passrates', 'local_bridge'), 3);
    echo results_view::pass_rate_table($rates, \local_bridge\results_summary::running_progress(array_column($reports, 1)));
}
echo html_writer::div(html_writer::link(
    new moodle_url('/local/bridge/grading.php', ['cmid' => $cm->id]),
    get_string('gradingpage', 'local_bridge')
));
echo $OUTPUT->heading(get_string('export', 'local_bridge'), 3);
foreach (['csv', 'json'] as $format) {
    echo html_writer::div(html_writer::link(
        new moodle_url('/local/bridge/export.php', ['cmid' => $cm->id, 'format' => $format, 'sesskey' => sesskey()]),
        get_string('export_' . $format, 'local_bridge')
    ));
}
echo $OUTPUT->footer();
