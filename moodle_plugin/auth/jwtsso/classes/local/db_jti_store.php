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
 * Used token ids in the table auth_jwtsso_jti, unique by their SHA-256 hash.
 *
 * The unique index makes concurrent logins with one token race safely: only one insert wins.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class db_jti_store implements \auth_jwtsso\jti_store {
    /**
     * Record a token id.
     *
     * @param string $jti token id
     * @param int $expiry when it may be forgotten
     * @return bool true if new
     */
    public function consume(string $jti, int $expiry): bool {
        global $DB;
        $hash = hash('sha256', $jti);
        if ($DB->record_exists('auth_jwtsso_jti', ['jtihash' => $hash])) {
            return false;
        }
        try {
            $DB->insert_record('auth_jwtsso_jti', (object) ['jtihash' => $hash, 'expiry' => $expiry, 'timecreated' => time()]);
        } catch (\dml_write_exception $e) {
            return false;
        }
        return true;
    }

    /**
     * Forget token ids that can no longer be valid.
     *
     * @param int $now current time
     * @return int rows removed
     */
    public static function purge_expired(int $now): int {
        global $DB;
        $count = $DB->count_records_select('auth_jwtsso_jti', 'expiry < ?', [$now]);
        $DB->delete_records_select('auth_jwtsso_jti', 'expiry < ?', [$now]);
        return $count;
    }
}
