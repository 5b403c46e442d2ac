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
 * External functions.
 *
 * Add local_bridge_get_attempt_responses, local_bridge_save_question_grade and
 * local_bridge_get_finished_attempts to the bridge's web service (autograder_bridge) in
 * Site administration > Server > Web services > External services
 * (README.md lists what the bridge's user needs).
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'local_bridge_get_attempt_responses' => [
        'classname' => 'local_bridge\external\get_attempt_responses',
        'description' => 'The plain-text responses of the questions linked to exercises in one finished quiz attempt.',
        'type' => 'read',
        'capabilities' => 'mod/quiz:grade',
        'ajax' => false,
        'loginrequired' => true,
    ],
    'local_bridge_save_question_grade' => [
        'classname' => 'local_bridge\external\save_question_grade',
        'description' => 'Set the manual mark and comment of one question in a finished quiz attempt.',
        'type' => 'write',
        'capabilities' => 'mod/quiz:grade',
        'ajax' => false,
        'loginrequired' => true,
    ],
    'local_bridge_get_grading_state' => [
        'classname' => 'local_bridge\external\get_grading_state',
        'description' => 'The autograding state of a user\'s latest submission of an assignment or quiz (own, or as its teacher).',
        'type' => 'read',
        'capabilities' => 'mod/assign:view, mod/quiz:view, mod/assign:grade, mod/quiz:grade',
        'ajax' => true,
        'loginrequired' => true,
    ],
    'local_bridge_get_finished_attempts' => [
        'classname' => 'local_bridge\external\get_finished_attempts',
        'description' => 'The finished attempts of one quiz since a time (for the bridge\'s reconciliation), a page at a time.',
        'type' => 'read',
        'capabilities' => 'mod/quiz:grade',
        'ajax' => false,
        'loginrequired' => true,
    ],
];
