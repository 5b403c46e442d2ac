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
 * Who logs in and where they land.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
final class login_target {
    /**
     * Constructor.
     *
     * @param \stdClass $user the Moodle user to log in
     * @param int|null $courseid course to land on, null for the site's default page
     * @param bool $created whether the account was created by this login
     */
    public function __construct(
        /** @var \stdClass the Moodle user to log in */
        public readonly \stdClass $user,
        /** @var int|null course to land on, null for the site's default page */
        public readonly ?int $courseid,
        /** @var bool whether the account was created by this login */
        public readonly bool $created = false,
    ) {
    }
}
