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

namespace auth_jwtsso;

/**
 * The Moodle data the user mapper needs, behind an interface so tests can swap it.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
interface user_store {
    /**
     * Users of this site (mnethostid) whose field equals value, deleted ones included.
     *
     * @param string $field username, email or idnumber
     * @param string $value exact value
     * @return \stdClass[] user records with at least id, username, auth, suspended, deleted
     */
    public function find_users(string $field, string $value): array;

    /**
     * Create a user that never has a local password.
     *
     * @param array $fields username, auth, email, firstname, lastname, idnumber
     * @return \stdClass the new user record
     */
    public function create_user(array $fields): \stdClass;

    /**
     * Update some profile fields of an existing user.
     *
     * @param \stdClass $user the user
     * @param array $fields field => new value
     */
    public function update_user(\stdClass $user, array $fields): void;

    /**
     * Whether the user is a site administrator.
     *
     * @param int $userid user id
     * @return bool
     */
    public function is_site_admin(int $userid): bool;

    /**
     * Whether a course with this id exists (the front page does not count).
     *
     * @param int $courseid course id
     * @return bool
     */
    public function course_exists(int $courseid): bool;

    /**
     * Whether the user is enrolled in the course.
     *
     * @param int $courseid course id
     * @param int $userid user id
     * @return bool
     */
    public function is_enrolled(int $courseid, int $userid): bool;

    /**
     * Enrol the user as a student through the course's manual enrolment instance.
     *
     * @param int $courseid course id
     * @param int $userid user id
     * @return bool false when the course has no enabled manual enrolment instance
     */
    public function enrol_student(int $courseid, int $userid): bool;
}
