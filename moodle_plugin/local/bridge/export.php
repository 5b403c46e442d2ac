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

// Beside each user id: the student's full name and, for a teacher allowed to see them
// (moodle/site:viewuseridentity), the site's identity fields (showuseridentity), as Moodle's
// own reports show them. Looked up one page of students at a time.
$identity = \core_user\fields::get_identity_fields($context, true);
$columns = array_merge(['fullname'], $identity);
$viewfullnames = has_capability('moodle/site:viewfullnames', $context);
$people = static function (array $userids) use ($context, $identity, $viewfullnames): array {
    global $DB;
    if (!$userids) {
        return [];
    }
    $sql = \core_user\fields::for_identity($context, true)->with_name()->get_sql('u', true);
    [$insql, $params] = $DB->get_in_or_equal($userids, SQL_PARAMS_NAMED, 'uid');
    $users = $DB->get_records_sql(
        "SELECT u.id {$sql->selects} FROM {user} u {$sql->joins} WHERE u.id {$insql}",
        $params + $sql->params
    );
    $found = [];
    foreach ($users as $user) {
        $found[(int) $user->id] = ['fullname' => fullname($user, $viewfullnames)];
        foreach ($identity as $field) {
            $found[(int) $user->id][$field] = (string) ($user->{$field} ?? '');
        }
    }
    return $found;
};

try {
    $content = teacher_requests::client(60)->export($cm->modname, (int) $cm->id, $format, $people, $columns);
} catch (\RuntimeException | \InvalidArgumentException $e) {
    throw new moodle_exception('bridgeunavailable', 'local_bridge', '', s($e->getMessage()));
}
$filename = clean_filename(format_string($cm->name, true, ['context' => $context]) . "-results.{$format}");
send_file($content, $filename, 0, 0, true, true, $format === 'csv' ? 'text/csv' : 'application/json');
