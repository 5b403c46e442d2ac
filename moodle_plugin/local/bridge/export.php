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
 * Download one activity's results per student and per test from the bridge (CSV or JSON).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

require(__DIR__ . '/../../config.php');

use local_bridge\local\teacher_requests;

$cmid = required_param('cmid', PARAM_INT);
$format = required_param('format', PARAM_ALPHA);
[$course, $cm] = get_course_and_cm_from_cmid($cmid);
require_login($course, false, $cm);
$context = teacher_requests::check($cm);
require_sesskey();
if (!in_array($format, ['csv', 'json'], true)) {
    throw new moodle_exception('invalidparameter', 'debug');
}
$PAGE->set_url(new moodle_url('/local/bridge/export.php', ['cmid' => $cm->id, 'format' => $format]));

try {
    $content = teacher_requests::client(60)->export($cm->modname, (int) $cm->id, $format);
} catch (\RuntimeException | \InvalidArgumentException $e) {
    throw new moodle_exception('bridgeunavailable', 'local_bridge', '', s($e->getMessage()));
}
$filename = clean_filename(format_string($cm->name, true, ['context' => $context]) . "-results.{$format}");
send_file($content, $filename, 0, 0, true, true, $format === 'csv' ? 'text/csv' : 'application/json');
