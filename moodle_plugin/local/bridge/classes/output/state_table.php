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

use local_bridge\local\grading_states;

/**
 * A table of the autograding state of (activity, student) submissions, asked in one question.
 *
 * Used by the teachers' page (grading.php) and by the block of the deliveries page (status.php).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class state_table {
    /** @var string[] reasons of a failed intake the bridge can fetch again (its statuses failed, rejected, no_exercise) */
    private const REFETCHABLE = ['fetch_failed', 'rejected', 'no_exercise', 'unsupported'];

    /**
     * Render the states of up to 100 (kind, cmid, user_id) items.
     *
     * @param array $items keys as {@see \local_bridge\grading_state::keys()} builds them
     * @param bool $withactivity add a column naming the activity (cmid)
     * @return string HTML
     */
    public static function render(array $items, bool $withactivity): string {
        $items = array_slice(array_values($items), 0, 100);
        $states = grading_states::ask($items);
        $users = user_get_users_by_id(array_unique(array_column($items, 'user_id')));
        $table = new \html_table();
        $table->head = array_merge(
            $withactivity ? ['cmid'] : [],
            [get_string('student', 'local_bridge'), get_string('status'), get_string('score', 'local_bridge'),
                get_string('lasterror', 'local_bridge'), '']
        );
        foreach ($items as $i => $item) {
            $state = $states[$i];
            $user = $users[$item['user_id']] ?? null;
            $score = $state['score'] === null ? '' : format_float($state['score'], 2, true, true) . ' / ' .
                format_float((float) $state['maxscore'], 2, true, true);
            $table->data[] = array_merge($withactivity ? [$item['cmid']] : [], [
                $user ? fullname($user) : $item['user_id'],
                \html_writer::span(
                    s(grading_states::teacher_message($state)),
                    'local-bridge-state',
                    ['data-state' => $state['state']]
                ),
                $score,
                s(shorten_text($state['detail'], 200)),
                self::refetch_button($item, $state) . self::history_link($item, $state),
            ]);
        }
        return \html_writer::table($table);
    }

    /**
     * The student's grade history in the activity (teachers had no way to it but the admins' page).
     *
     * @param array $item the (kind, cmid, user_id) key
     * @param array $state its state from {@see grading_states::ask()}
     * @return string HTML, empty when the bridge knows nothing of the submission
     */
    private static function history_link(array $item, array $state): string {
        if (in_array($state['state'], ['unknown', 'unavailable', 'notautograded'], true)) {
            return '';
        }
        return \html_writer::link(new \moodle_url('/local/bridge/history.php', [
            'cmid' => (int) $item['cmid'],
            'userid' => (int) $item['user_id'],
        ]), get_string('history', 'local_bridge'));
    }

    /**
     * "Fetch again" for a submission whose intake failed for good, shown to those who grade.
     *
     * @param array $item the (kind, cmid, user_id) key
     * @param array $state its state from {@see grading_states::ask()}
     * @return string HTML, empty when there is nothing to fetch again
     */
    private static function refetch_button(array $item, array $state): string {
        global $OUTPUT, $PAGE;
        if ($state['state'] !== 'failed' || !in_array($state['reason'] ?? '', self::REFETCHABLE, true)) {
            return '';
        }
        $modname = $item['kind'] === 'assign_submission' ? 'assign' : 'quiz';
        if (!has_capability("mod/{$modname}:grade", \context_module::instance((int) $item['cmid']))) {
            return '';
        }
        return $OUTPUT->single_button(new \moodle_url('/local/bridge/refetch.php', [
            'cmid' => (int) $item['cmid'],
            'userid' => (int) $item['user_id'],
            'returnurl' => $PAGE->url->out_as_local_url(false),
        ]), get_string('refetch', 'local_bridge'), 'post');
    }
}
