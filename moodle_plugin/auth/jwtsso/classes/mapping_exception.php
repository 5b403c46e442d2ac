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
 * Valid claims that still cannot be turned into a login; {@see self::$reason} is a machine word.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class mapping_exception extends \RuntimeException {
    /** @var string why, e.g. no_account, user_suspended, other_auth */
    public readonly string $reason;

    /**
     * Constructor.
     *
     * @param string $reason machine word
     * @param string $detail detail for logs
     */
    public function __construct(string $reason, string $detail = '') {
        $this->reason = $reason;
        parent::__construct($detail === '' ? $reason : "{$reason}: {$detail}");
    }
}
