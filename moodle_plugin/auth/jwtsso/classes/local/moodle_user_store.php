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

namespace auth_jwtsso\local;

/**
 * {@see \auth_jwtsso\user_store} on Moodle's user, course and enrolment APIs.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class moodle_user_store implements \auth_jwtsso\user_store {
    /**
     * Find users of this site by field (emails case-insensitively, as Moodle does).
     *
     * @param string $field username, email or idnumber
     * @param string $value value
     * @return \stdClass[]
     */
    public function find_users(string $field, string $value): array {
        global $DB, $CFG;
        if (!in_array($field, ['username', 'email', 'idnumber'], true)) {
            throw new \coding_exception("Unsupported field {$field}");
        }
        $where = $field === 'email' ? $DB->sql_equal('email', ':value', false) : "{$field} = :value";
        return array_values($DB->get_records_select(
            'user',
            "{$where} AND mnethostid = :mnethostid",
            ['value' => $value, 'mnethostid' => $CFG->mnet_localhost_id]
        ));
    }

    /**
     * Create a user without a local password.
     *
     * @param array $fields fields
     * @return \stdClass
     */
    public function create_user(array $fields): \stdClass {
        global $CFG, $DB;
        require_once($CFG->dirroot . '/user/lib.php');
        $user = (object) $fields;
        $user->confirmed = 1;
        $user->mnethostid = $CFG->mnet_localhost_id;
        $user->password = AUTH_PASSWORD_NOT_CACHED;
        $userid = user_create_user($user, false, true);
        return $DB->get_record('user', ['id' => $userid], '*', MUST_EXIST);
    }

    /**
     * Update profile fields.
     *
     * @param \stdClass $user user
     * @param array $fields changes
     */
    public function update_user(\stdClass $user, array $fields): void {
        global $CFG;
        require_once($CFG->dirroot . '/user/lib.php');
        user_update_user((object) (['id' => $user->id] + $fields), false, true);
        foreach ($fields as $name => $value) {
            $user->$name = $value;
        }
    }

    /**
     * Whether site admin.
     *
     * @param int $userid user id
     * @return bool
     */
    public function is_site_admin(int $userid): bool {
        return is_siteadmin($userid);
    }

    /**
     * Whether the course exists.
     *
     * @param int $courseid course id
     * @return bool
     */
    public function course_exists(int $courseid): bool {
        global $DB;
        return $courseid !== SITEID && $DB->record_exists('course', ['id' => $courseid]);
    }

    /**
     * Whether enrolled (active or not).
     *
     * @param int $courseid course id
     * @param int $userid user id
     * @return bool
     */
    public function is_enrolled(int $courseid, int $userid): bool {
        return is_enrolled(\context_course::instance($courseid), $userid);
    }

    /**
     * Enrol as student with the course's manual enrolment instance.
     *
     * @param int $courseid course id
     * @param int $userid user id
     * @return bool
     */
    public function enrol_student(int $courseid, int $userid): bool {
        global $DB;
        $plugin = enrol_get_plugin('manual');
        $instance = $DB->get_record('enrol', ['courseid' => $courseid, 'enrol' => 'manual', 'status' => ENROL_INSTANCE_ENABLED]);
        $roleid = $DB->get_field('role', 'id', ['archetype' => 'student', 'shortname' => 'student'])
            ?: ($instance->roleid ?? 0);
        if (!$plugin || !$instance || !$roleid) {
            return false;
        }
        $plugin->enrol_user($instance, $userid, $roleid);
        return true;
    }
}
