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
 * Callbacks: the autograding section of the assignment and quiz settings forms.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

use local_bridge\exercise_package;
use local_bridge\exercise_verdict;
use local_bridge\local\activity_settings;
use local_bridge\local\exercise_files;
use local_bridge\package_refused;
use local_bridge\upload_receipt;

/**
 * Add "Autograded questions" to a quiz's settings navigation, for those who may configure it.
 *
 * @param settings_navigation $settingsnav the settings navigation
 * @param context $context the page's context
 */
function local_bridge_extend_settings_navigation($settingsnav, $context) {
    if (!$context instanceof context_module) {
        return;
    }
    [, $cm] = get_course_and_cm_from_cmid($context->instanceid);
    local_bridge_add_results_node($settingsnav, $cm, $context);
    if ($cm->modname !== 'quiz' || !has_capability('local/bridge:configure', $context)) {
        return;
    }
    $node = $settingsnav->find('modulesettings', navigation_node::TYPE_SETTING);
    if ($node) {
        $node->add(
            get_string('linkedquestions', 'local_bridge'),
            new moodle_url('/local/bridge/questions.php', ['cmid' => $context->instanceid]),
            navigation_node::TYPE_SETTING,
            null,
            'local_bridge_questions'
        );
    }
}

/**
 * Add "Autograding results" (regrade, pass rates, export) for an autograded activity's graders (issue 13).
 *
 * @param settings_navigation $settingsnav the settings navigation
 * @param cm_info $cm the activity
 * @param context_module $context its context
 */
function local_bridge_add_results_node($settingsnav, $cm, $context): void {
    if (!in_array($cm->modname, activity_settings::MODULES, true) || !has_capability("mod/{$cm->modname}:grade", $context)) {
        return;
    }
    $node = $settingsnav->find('modulesettings', navigation_node::TYPE_SETTING);
    if ($node) {
        $node->add(
            get_string('resultspage', 'local_bridge'),
            new moodle_url('/local/bridge/results.php', ['cmid' => $cm->id]),
            navigation_node::TYPE_SETTING,
            null,
            'local_bridge_results'
        );
    }
}

/**
 * Add the "Autograding" section to the settings form of assignments and quizzes.
 *
 * @param moodleform_mod $formwrapper the activity settings form
 * @param MoodleQuickForm $mform the form
 */
function local_bridge_coursemodule_standard_elements($formwrapper, $mform) {
    $current = $formwrapper->get_current();
    if (
        !in_array($current->modulename ?? '', activity_settings::MODULES, true)
        || !has_capability('local/bridge:configure', $formwrapper->get_context())
    ) {
        return;
    }
    $settings = !empty($current->coursemodule) ? activity_settings::get((int) $current->coursemodule) : null;

    $mform->addElement('header', 'local_bridge_header', get_string('autograding', 'local_bridge'));
    if ($current->modulename === 'quiz') {
        // A quiz is graded question by question: its essay questions are linked on a page of their own.
        $text = empty($current->coursemodule) ? get_string('quizsavefirst', 'local_bridge') : html_writer::link(
            new moodle_url('/local/bridge/questions.php', ['cmid' => $current->coursemodule]),
            get_string('linkedquestions', 'local_bridge')
        );
        $mform->addElement('static', 'local_bridge_questions', get_string('linkedquestions', 'local_bridge'), $text);
        return;
    }
    $mform->addElement('advcheckbox', 'local_bridge_enabled', get_string('enabled', 'local_bridge'));
    $mform->addHelpButton('local_bridge_enabled', 'enabled', 'local_bridge');
    $mform->setDefault('local_bridge_enabled', (int) ($settings->enabled ?? 0));

    $mform->addElement(
        'textarea',
        'local_bridge_exercise',
        get_string('exercise', 'local_bridge'),
        ['rows' => 16, 'cols' => 80, 'class' => 'text-monospace', 'spellcheck' => 'false']
    );
    $mform->setType('local_bridge_exercise', PARAM_RAW);
    $mform->addHelpButton('local_bridge_exercise', 'exercise', 'local_bridge');
    $mform->setDefault('local_bridge_exercise', (string) ($settings->exercise ?? ''));
    $mform->hideIf('local_bridge_exercise', 'local_bridge_enabled', 'notchecked');

    // The exercise's other files (or one zip of its folder), in the plugin's file area.
    $context = !empty($current->coursemodule) ? context_module::instance((int) $current->coursemodule) : null;
    $mform->addElement(
        'filemanager',
        'local_bridge_files',
        get_string('exercisefiles', 'local_bridge'),
        null,
        exercise_files::options()
    );
    $mform->addHelpButton('local_bridge_files', 'exercisefiles', 'local_bridge');
    $mform->setDefault('local_bridge_files', exercise_files::prepare_draft(
        $context ? (int) $context->id : null,
        exercise_files::ACTIVITY_AREA,
        0
    ));
    $mform->hideIf('local_bridge_files', 'local_bridge_enabled', 'notchecked');
    $mform->addElement('static', 'local_bridge_fileslimits', '', exercise_files::limits_text());
    $mform->hideIf('local_bridge_fileslimits', 'local_bridge_enabled', 'notchecked');

    if ($settings && $settings->bridgestatus === exercise_verdict::VALID) {
        $mform->addElement(
            'static',
            'local_bridge_download',
            get_string('exercisedownload', 'local_bridge'),
            html_writer::link(
                new moodle_url('/local/bridge/download.php', ['cmid' => $current->coursemodule]),
                get_string('exercisedownloadlink', 'local_bridge')
            )
        );
        $mform->addHelpButton('local_bridge_download', 'exercisedownload', 'local_bridge');
        $mform->hideIf('local_bridge_download', 'local_bridge_enabled', 'notchecked');
    }

    if ($settings && $settings->bridgestatus !== 'unknown') {
        $mform->addElement(
            'static',
            'local_bridge_status',
            get_string('bridgeverdict', 'local_bridge'),
            html_writer::tag('strong', get_string('status_' . upload_receipt::shown_status(
                (string) $settings->bridgestatus,
                $settings->acceptedhash ?? null
            ), 'local_bridge')) .
            html_writer::tag('pre', s((string) $settings->bridgemessage), ['class' => 'mt-2 mb-0'])
        );
        $mform->hideIf('local_bridge_status', 'local_bridge_enabled', 'notchecked');
    }
}

/**
 * Refuse an autograded activity without an exercise, or with files the bridge would refuse.
 *
 * @param moodleform_mod $fromform the form
 * @param array $data submitted data
 * @return array errors
 */
function local_bridge_coursemodule_validation($fromform, $data) {
    if (empty($data['local_bridge_enabled'])) {
        return [];
    }
    $exercise = (string) ($data['local_bridge_exercise'] ?? '');
    if (strlen($exercise) > activity_settings::MAX_EXERCISE_BYTES) {
        return ['local_bridge_exercise' => get_string(
            'exercisetoolarge',
            'local_bridge',
            display_size(activity_settings::MAX_EXERCISE_BYTES)
        )];
    }
    try {
        $files = exercise_files::draft_files((int) ($data['local_bridge_files'] ?? 0));
        exercise_package::from($exercise, $files);
    } catch (package_refused $e) {
        $field = $e->stringid === 'exerciserequired' || $e->stringid === 'exercisetwice'
            ? 'local_bridge_exercise' : 'local_bridge_files';
        return [$field => exercise_files::message($e)];
    }
    return [];
}

/**
 * Save the autograding settings, send the exercise to the bridge and tell the teacher its verdict.
 *
 * @param stdClass $data submitted form data
 * @param stdClass $course the course
 * @return stdClass the data
 */
function local_bridge_coursemodule_edit_post_actions($data, $course) {
    if (!isset($data->local_bridge_enabled) || !in_array($data->modulename ?? '', activity_settings::MODULES, true)) {
        return $data;
    }
    $context = context_module::instance($data->coursemodule);
    if (!has_capability('local/bridge:configure', $context)) {
        return $data;
    }
    $files = [];
    if (isset($data->local_bridge_files)) {
        exercise_files::save_draft((int) $data->local_bridge_files, (int) $context->id, exercise_files::ACTIVITY_AREA, 0);
        try {
            $files = exercise_files::stored_files((int) $context->id, exercise_files::ACTIVITY_AREA, 0);
        } catch (package_refused $e) {
            \core\notification::add(exercise_files::message($e), \core\notification::ERROR);
            return $data;
        }
    }
    $verdict = activity_settings::save(
        (int) $data->coursemodule,
        !empty($data->local_bridge_enabled),
        (string) ($data->local_bridge_exercise ?? ''),
        [
            'course_id' => (int) $course->id,
            'cmid' => (int) $data->coursemodule,
            'kind' => $data->modulename,
            'instance_id' => (int) $data->instance,
        ],
        $files
    );
    if ($verdict !== null) {
        $message = get_string('status_' . $verdict->status, 'local_bridge') .
            ($verdict->message !== '' ? ': ' . s($verdict->message) : '');
        \core\notification::add($message, $verdict->status === exercise_verdict::VALID
            ? \core\notification::SUCCESS : \core\notification::ERROR);
        local_bridge_offer_regrade($verdict, $data);
    }
    return $data;
}

/**
 * After a valid save of an assignment's exercise, offer to regrade what was graded before (issue 13).
 *
 * Only when there is something to regrade: the bridge's answer names the version it now grades
 * with (a first version has nothing graded by an older one), and the assignment has graded
 * submissions (a brand-new assignment has none).
 *
 * @param exercise_verdict $verdict the bridge's verdict on the save
 * @param stdClass $data submitted form data
 */
function local_bridge_offer_regrade(exercise_verdict $verdict, $data): void {
    global $DB;
    if ($verdict->status !== exercise_verdict::VALID || $data->modulename !== 'assign' || empty($data->local_bridge_enabled)) {
        return;
    }
    if (
        ($verdict->version !== null && $verdict->version < 2)
        || !$DB->record_exists_select(
            'assign_grades',
            'assignment = :assignment AND grade >= 0',
            ['assignment' => (int) $data->instance]
        )
    ) {
        return;
    }
    $url = new moodle_url('/local/bridge/results.php', ['cmid' => $data->coursemodule]);
    \core\notification::add(get_string('regrade_aftersave', 'local_bridge', $url->out(false)), \core\notification::INFO);
}

/**
 * Core's course_delete_module() calls this before it deletes an activity: the plugin's rows of
 * that course module go with it (Moodle 5.0 has no hook for a module's deletion).
 *
 * @param stdClass $cm the course module being deleted
 */
function local_bridge_pre_course_module_delete($cm): void {
    \local_bridge\local\activity_cleanup::delete_cm((int) $cm->id);
}
