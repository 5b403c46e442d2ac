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

namespace local_bridge\output;

use html_table;
use html_writer;
use local_bridge\results_summary;
use moodle_url;

/**
 * What the teachers' results page shows: the regrade offer, its progress and old → new table,
 * per-test pass rates, downloads, and one submission's grade history.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class results_view {
    /**
     * The regrade offer (a button, for those who may configure) and the newest regrade's state.
     *
     * @param \cm_info $cm the activity
     * @param array|null $report the bridge's newest regrade of it, null when none
     * @param bool $canregrade whether the user may start one
     * @param int|null $entryid the quiz question's bank entry id (a quiz regrades question by question)
     * @return string HTML
     */
    public static function regrade_block(\cm_info $cm, ?array $report, bool $canregrade, ?int $entryid = null): string {
        global $OUTPUT;
        $out = $OUTPUT->heading($entryid === null ? get_string('regrade', 'local_bridge')
            : get_string('regrade_question', 'local_bridge', $entryid), 3);
        if ($report !== null && empty($report['done'])) {
            $out .= $OUTPUT->notification(get_string('regrade_progress', 'local_bridge', (object) [
                'graded' => (int) $report['total'] - (int) $report['pending'],
                'total' => (int) $report['total'],
            ]), 'info');
        } else if ($report !== null) {
            $kept = (int) $report['kept_teacher_grade'];
            $keptstring = results_summary::kept_string($kept);
            $out .= html_writer::tag('p', get_string('regrade_done', 'local_bridge', (object) [
                'version' => (int) $report['exercise_version'],
                'changed' => (int) $report['changed'],
                'total' => (int) $report['total'],
            ]) . ($keptstring !== null ? ' ' . get_string($keptstring, 'local_bridge', $kept) : ''));
            $out .= self::diff_table($report);
        }
        if ($canregrade && ($report === null || !empty($report['done']))) {
            $out .= html_writer::tag('p', get_string($entryid === null ? 'regrade_offer' : 'regrade_offer_quiz', 'local_bridge'));
            $params = ['cmid' => $cm->id, 'action' => 'regrade'] + ($entryid === null ? [] : ['entry' => $entryid]);
            $out .= $OUTPUT->single_button(
                new moodle_url('/local/bridge/results.php', $params),
                get_string($entryid === null ? 'regrade_start' : 'regrade_start_quiz', 'local_bridge'),
                'post'
            );
        }
        return $out;
    }

    /**
     * The students whose score changed, old → new, and whether Moodle took the new grade.
     *
     * @param array $report a done regrade
     * @return string HTML
     */
    public static function diff_table(array $report): string {
        $rows = self::changed_entries($report['entries'] ?? []);
        if (!$rows) {
            return html_writer::tag('p', get_string('regrade_nochange', 'local_bridge'));
        }
        $users = user_get_users_by_id(array_unique(array_column($rows, 'user_id')));
        $table = new html_table();
        $table->head = [get_string('student', 'local_bridge'), get_string('regrade_old', 'local_bridge'),
            get_string('regrade_new', 'local_bridge'), get_string('regrade_moodle', 'local_bridge')];
        foreach ($rows as $entry) {
            $user = $users[$entry['user_id']] ?? null;
            $table->data[] = [
                $user ? fullname($user) : (int) $entry['user_id'],
                self::score($entry['old_score'], $entry['old_max_score'] ?? $entry['max_score']),
                self::score($entry['new_score'], $entry['max_score']),
                s(get_string('regrade_moodle_' . self::moodle_state($entry), 'local_bridge')),
            ];
        }
        return html_writer::table($table);
    }

    /**
     * Entries a teacher must see: a changed score, a teacher's grade kept, or an error.
     *
     * @param array $entries the regrade's entries
     * @return array
     */
    public static function changed_entries(array $entries): array {
        return array_values(array_filter($entries, static fn(array $e): bool => !empty($e['changed'])
            || ($e['moodle'] ?? null) === 'teacher_override' || !empty($e['error'])));
    }

    /**
     * How many students pass each test.
     *
     * @param array $rates the bridge's pass rates
     * @param array|null $progress a running regrade's graded and total (results_summary::running_progress)
     * @return string HTML
     */
    public static function pass_rate_table(array $rates, ?array $progress = null): string {
        $out = '';
        if ($progress !== null) {
            $out = html_writer::tag('p', get_string('passrates_progress', 'local_bridge', (object) $progress));
        }
        if (empty($rates['tests'])) {
            return $out !== '' ? $out : html_writer::tag('p', get_string('passrates_none', 'local_bridge'));
        }
        $table = new html_table();
        $table->head = [get_string('test', 'local_bridge'), get_string('passrates_passed', 'local_bridge'),
            get_string('passrates_rate', 'local_bridge')];
        foreach ($rates['tests'] as $test) {
            $name = (int) $test['question_bank_entry_id'] ? "#{$test['question_bank_entry_id']} {$test['test']}" : $test['test'];
            $table->data[] = [s($name), (int) $test['passed'] . ' / ' . (int) $test['total'],
                format_float(100 * (float) $test['rate'], 1) . ' %'];
        }
        return $out . html_writer::table($table);
    }

    /**
     * One submission's grade history, oldest first.
     *
     * @param array $entries the bridge's history entries
     * @return string HTML
     */
    public static function history_table(array $entries): string {
        if (!$entries) {
            return html_writer::tag('p', get_string('history_none', 'local_bridge'));
        }
        $table = new html_table();
        $table->head = [get_string('time'), get_string('history_event', 'local_bridge'),
            get_string('history_version', 'local_bridge'), get_string('score', 'local_bridge'),
            get_string('gradenoun'), get_string('history_actor', 'local_bridge'), get_string('history_image', 'local_bridge')];
        foreach ($entries as $entry) {
            $at = strtotime((string) $entry['at']);
            $event = get_string('history_' . self::event($entry['event'] ?? ''), 'local_bridge');
            $note = (string) ($entry['detail']['moodle'] ?? $entry['detail']['error'] ?? '');
            $table->data[] = [
                $at ? userdate($at, get_string('strftimedatetimeshort', 'langconfig')) : s((string) $entry['at']),
                s($event) . ($note !== '' ? html_writer::div(s(shorten_text($note, 200)), 'small text-muted') : ''),
                (int) $entry['exercise_version'],
                self::score(
                    $entry['score'] ?? ($entry['detail']['old_score'] ?? null),
                    $entry['max_score'] ?? ($entry['detail']['old_max_score'] ?? null)
                ),
                $entry['grade'] === null ? '' : format_float((float) $entry['grade'], 2, true, true),
                s((string) $entry['actor']),
                html_writer::tag('code', s(substr((string) ($entry['image_digest'] ?? ''), 0, 19))),
            ];
        }
        return html_writer::table($table);
    }

    /**
     * Links from the deliveries page: each activity's results page, each submission's history.
     *
     * @param array $rows notification rows (kind, itemid, cmid, userid)
     * @return string HTML
     */
    public static function status_links(array $rows): string {
        global $OUTPUT;
        $table = new html_table();
        $table->head = ['cmid', get_string('item', 'local_bridge'), ''];
        $seen = [];
        foreach ($rows as $row) {
            $key = "{$row->cmid}|{$row->userid}|{$row->itemid}";
            if (isset($seen[$key])) {
                continue;
            }
            $seen[$key] = true;
            $table->data[] = [
                html_writer::link(new moodle_url('/local/bridge/results.php', ['cmid' => $row->cmid]), (int) $row->cmid),
                (int) $row->itemid,
                html_writer::link(new moodle_url('/local/bridge/history.php', [
                    'cmid' => $row->cmid, 'userid' => $row->userid, 'itemid' => $row->itemid,
                ]), get_string('history', 'local_bridge')),
            ];
        }
        return $OUTPUT->heading(get_string('resultspage', 'local_bridge'), 3) . html_writer::table($table);
    }

    /**
     * What became of a new grade, as a lang string suffix.
     *
     * @param array $entry one regrade entry
     * @return string
     */
    private static function moodle_state(array $entry): string {
        if (!empty($entry['error'])) {
            return 'refused';
        }
        $state = (string) ($entry['moodle'] ?? '');
        return in_array($state, ['delivered', 'teacher_override', 'parked', 'superseded'], true) ? $state : 'pending';
    }

    /**
     * A history event as a lang string suffix.
     *
     * @param string $event the bridge's event name
     * @return string
     */
    private static function event(string $event): string {
        return in_array($event, ['graded', 'pushed', 'teacher_override', 'regrade_started'], true) ? $event : 'other';
    }

    /**
     * A score out of its maximum, or empty.
     *
     * @param mixed $score score or null
     * @param mixed $max maximum or null
     * @return string
     */
    private static function score(mixed $score, mixed $max): string {
        if ($score === null) {
            return '';
        }
        $text = format_float((float) $score, 2, true, true);
        return $max === null ? $text : $text . ' / ' . format_float((float) $max, 2, true, true);
    }
}
