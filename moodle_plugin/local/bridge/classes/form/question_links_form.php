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

namespace local_bridge\form;

defined('MOODLE_INTERNAL') || die();

require_once($CFG->libdir . '/formslib.php');

use local_bridge\exercise_package;
use local_bridge\local\activity_settings;
use local_bridge\local\exercise_files;
use local_bridge\package_refused;

/**
 * Link the essay questions of a quiz to exercises, one exercise (exercise.yaml and files) per question.
 *
 * Fields are named by question bank entry id (linked_<id>, exercise_<id>), never by slot.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class question_links_form extends \moodleform {
    /**
     * One section per essay question: the switch, the exercise and the bridge's last verdict.
     */
    protected function definition() {
        $mform = $this->_form;
        $mform->addElement('hidden', 'cmid', $this->_customdata['cmid']);
        $mform->setType('cmid', PARAM_INT);

        foreach ($this->_customdata['questions'] as $entryid => $question) {
            $link = $this->_customdata['links'][$entryid] ?? null;
            $mform->addElement('header', "question_{$entryid}", get_string('questionslot', 'local_bridge', (object) [
                'slot' => $question->slot,
                'name' => format_string($question->name),
            ]));
            $mform->setExpanded("question_{$entryid}");
            $mform->addElement('advcheckbox', "linked_{$entryid}", get_string('questionlinked', 'local_bridge'));
            $mform->addHelpButton("linked_{$entryid}", 'questionlinked', 'local_bridge');
            $mform->setDefault("linked_{$entryid}", (int) ($link->linked ?? 0));
            $mform->addElement(
                'textarea',
                "exercise_{$entryid}",
                get_string('exercise', 'local_bridge'),
                ['rows' => 12, 'cols' => 80, 'class' => 'text-monospace', 'spellcheck' => 'false']
            );
            $mform->setType("exercise_{$entryid}", PARAM_RAW);
            $mform->setDefault("exercise_{$entryid}", (string) ($link->exercise ?? ''));
            $mform->hideIf("exercise_{$entryid}", "linked_{$entryid}", 'notchecked');
            $mform->addElement(
                'filemanager',
                "files_{$entryid}",
                get_string('exercisefiles', 'local_bridge'),
                null,
                exercise_files::options()
            );
            $mform->addHelpButton("files_{$entryid}", 'exercisefiles', 'local_bridge');
            $mform->setDefault("files_{$entryid}", exercise_files::prepare_draft(
                $link ? (int) \context_module::instance($this->_customdata['cmid'])->id : null,
                exercise_files::QUESTION_AREA,
                $link ? (int) $link->id : 0
            ));
            $mform->hideIf("files_{$entryid}", "linked_{$entryid}", 'notchecked');
            $mform->addElement('static', "fileslimits_{$entryid}", '', exercise_files::limits_text());
            $mform->hideIf("fileslimits_{$entryid}", "linked_{$entryid}", 'notchecked');
            if ($link && $link->bridgestatus === \local_bridge\exercise_verdict::VALID) {
                $mform->addElement(
                    'static',
                    "download_{$entryid}",
                    get_string('exercisedownload', 'local_bridge'),
                    \html_writer::link(
                        new \moodle_url('/local/bridge/download.php', [
                            'cmid' => $this->_customdata['cmid'],
                            'entryid' => $entryid,
                        ]),
                        get_string('exercisedownloadlink', 'local_bridge')
                    )
                );
            }
            if ($link && $link->bridgestatus !== 'unknown') {
                $mform->addElement(
                    'static',
                    "status_{$entryid}",
                    get_string('bridgeverdict', 'local_bridge'),
                    \html_writer::tag('strong', get_string('status_' . \local_bridge\upload_receipt::shown_status(
                        (string) $link->bridgestatus,
                        $link->acceptedhash ?? null
                    ), 'local_bridge')) .
                    \html_writer::tag('pre', s((string) $link->bridgemessage), ['class' => 'mt-2 mb-0'])
                );
            }
        }
        $this->add_action_buttons();
    }

    /**
     * A linked question needs an exercise of sensible size; any question's files must be readable.
     *
     * @param array $data submitted data
     * @param array $files submitted files
     * @return array errors
     */
    public function validation($data, $files) {
        $errors = parent::validation($data, $files);
        foreach (array_keys($this->_customdata['questions']) as $entryid) {
            if (empty($data["linked_{$entryid}"])) {
                // The page reads every question's files on save, linked or not: refuse here what
                // that read would throw (too many, too large), as a form error.
                try {
                    exercise_files::draft_files((int) ($data["files_{$entryid}"] ?? 0));
                } catch (package_refused $e) {
                    $errors["files_{$entryid}"] = exercise_files::message($e);
                }
                continue;
            }
            $exercise = (string) ($data["exercise_{$entryid}"] ?? '');
            if (strlen($exercise) > activity_settings::MAX_EXERCISE_BYTES) {
                $errors["exercise_{$entryid}"] = get_string(
                    'exercisetoolarge',
                    'local_bridge',
                    display_size(activity_settings::MAX_EXERCISE_BYTES)
                );
                continue;
            }
            try {
                exercise_package::from($exercise, exercise_files::draft_files((int) ($data["files_{$entryid}"] ?? 0)));
            } catch (package_refused $e) {
                $field = in_array($e->stringid, ['exerciserequired', 'exercisetwice'], true) ? 'exercise' : 'files';
                $errors["{$field}_{$entryid}"] = exercise_files::message($e);
            }
        }
        return $errors;
    }
}
