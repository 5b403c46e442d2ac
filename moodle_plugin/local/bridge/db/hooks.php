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
 * Hook callbacks.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$callbacks = [
    [
        // The autograding state of the student's latest submission, on the assignment and quiz pages.
        'hook' => \core\hook\output\before_footer_html_generation::class,
        'callback' => [\local_bridge\hook_callbacks::class, 'before_footer_html_generation'],
    ],
    [
        // A deleted course's activities leave no settings, question links, outbox or failure rows.
        'hook' => \core_course\hook\before_course_deleted::class,
        'callback' => [\local_bridge\local\activity_cleanup::class, 'before_course_deleted'],
    ],
];
