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

namespace local_bridge;

use local_bridge\local\grading_states;

/**
 * Hook callbacks of local_bridge.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class hook_callbacks {
    /**
     * On an autograded assignment's page (for a student who submitted) and a quiz attempt's
     * review, add the autograding state box and the AMD module that keeps it current.
     *
     * Nothing here asks the bridge: the page is never held up by it; the module asks once the
     * page is shown, through local_bridge_get_grading_state.
     *
     * @param \core\hook\output\before_footer_html_generation $hook the hook
     */
    public static function before_footer_html_generation(\core\hook\output\before_footer_html_generation $hook): void {
        global $DB, $PAGE, $USER;
        if (during_initial_install() || !isloggedin() || isguestuser()) {
            return;
        }
        // Read, not empty(): moodle_page's properties are magic, and empty() on them is always true.
        $cm = $PAGE->cm;
        if (!$cm) {
            return;
        }
        $userid = 0;
        $attempt = -1;
        if ($PAGE->pagetype === 'mod-assign-view' && $cm->modname === 'assign') {
            $submitted = $DB->record_exists('assign_submission', [
                'assignment' => $cm->instance, 'userid' => $USER->id, 'latest' => 1, 'status' => 'submitted',
            ]);
            if (!$submitted) {
                return;
            }
            $userid = (int) $USER->id;
        } else if ($PAGE->pagetype === 'mod-quiz-review' && $cm->modname === 'quiz') {
            $attemptid = optional_param('attempt', 0, PARAM_INT);
            $row = $attemptid ? $DB->get_record('quiz_attempts', ['id' => $attemptid, 'quiz' => $cm->instance]) : null;
            if (!$row || $row->preview || $row->state !== 'finished') {
                return;
            }
            $userid = (int) $row->userid;
            $attempt = (int) $row->attempt;
            if ($userid !== (int) $USER->id && !has_capability('mod/quiz:grade', $PAGE->context)) {
                return;
            }
        } else {
            return;
        }
        if (!grading_states::is_autograded($cm)) {
            return;
        }
        $id = \html_writer::random_id('local-bridge-grading-state');
        $hook->add_html(\html_writer::div(
            get_string('state_checking', 'local_bridge'),
            'local-bridge-grading-state alert alert-info',
            ['id' => $id, 'role' => 'status', 'aria-live' => 'polite', 'data-state' => 'checking']
        ));
        $PAGE->requires->js_call_amd('local_bridge/grading_state', 'init', [$id, (int) $cm->id, $userid, $attempt]);
    }
}
