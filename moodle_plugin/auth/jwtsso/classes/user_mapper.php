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
 * Maps verified token claims to a Moodle user, creating and enrolling when allowed.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class user_mapper {
    /** @var array Moodle user field => claim that carries its value. */
    public const FIELD_CLAIMS = ['username' => 'preferred_username', 'email' => 'email', 'idnumber' => 'sub'];

    /** @var string[] auth methods whose accounts are never taken over. */
    private const NEVER_TAKE_OVER = ['nologin'];

    /**
     * Constructor.
     *
     * @param user_store $store Moodle data
     * @param string $field user field to match on: username, email or idnumber
     * @param bool $autocreate create a missing account
     * @param bool $allowtakeover log in to accounts of other auth methods
     * @param string $authtype this plugin's auth name
     */
    public function __construct(
        /** @var user_store Moodle data */
        private readonly user_store $store,
        /** @var string user field to match on: username, email or idnumber */
        private readonly string $field,
        /** @var bool create a missing account */
        private readonly bool $autocreate,
        /** @var bool log in to accounts of other auth methods */
        private readonly bool $allowtakeover,
        /** @var string this plugin's auth name */
        private readonly string $authtype = 'jwtsso',
    ) {
        if (!isset(self::FIELD_CLAIMS[$field])) {
            throw new \InvalidArgumentException("unsupported mapping field {$field}");
        }
    }

    /**
     * Resolve the user and landing course for verified claims.
     *
     * @param array $claims claims returned by the token validator
     * @return login_target
     * @throws mapping_exception
     */
    public function map(array $claims): login_target {
        $value = self::claim_string($claims, self::FIELD_CLAIMS[$this->field]);
        if ($value === null) {
            throw new mapping_exception('missing_mapping_claim', self::FIELD_CLAIMS[$this->field]);
        }
        $value = $this->normalise($this->field, $value);

        $users = $this->store->find_users($this->field, $value);
        if (count($users) > 1) {
            throw new mapping_exception('ambiguous_user', count($users) . " accounts share this {$this->field}");
        }
        $created = false;
        if ($users) {
            $user = reset($users);
            $this->check_existing($user);
            $this->refresh_profile($user, $claims);
        } else if ($this->autocreate) {
            $user = $this->store->create_user($this->new_user_fields($claims, $value));
            $created = true;
        } else {
            throw new mapping_exception('no_account');
        }
        return new login_target($user, $this->landing_course($claims, (int) $user->id), $created);
    }

    /**
     * Refuse deleted, suspended, foreign and administrator accounts as configured.
     *
     * @param \stdClass $user existing account
     */
    private function check_existing(\stdClass $user): void {
        if (!empty($user->deleted)) {
            throw new mapping_exception('user_deleted');
        }
        if (!empty($user->suspended)) {
            throw new mapping_exception('user_suspended');
        }
        if ($user->auth === $this->authtype) {
            return;
        }
        if (!$this->allowtakeover || in_array($user->auth, self::NEVER_TAKE_OVER, true)) {
            throw new mapping_exception('other_auth', $user->auth);
        }
        if ($this->store->is_site_admin((int) $user->id)) {
            // A site administrator with a local password is never reachable through a token.
            throw new mapping_exception('admin_takeover');
        }
    }

    /**
     * Keep names and email of accounts this plugin owns in step with the bridge.
     *
     * @param \stdClass $user existing account
     * @param array $claims verified claims
     */
    private function refresh_profile(\stdClass $user, array $claims): void {
        if ($user->auth !== $this->authtype) {
            return;
        }
        $changes = [];
        foreach (['firstname' => 'given_name', 'lastname' => 'family_name', 'email' => 'email'] as $field => $claim) {
            $value = self::claim_string($claims, $claim);
            if ($value !== null && $field !== $this->field && ($user->$field ?? null) !== $value) {
                $changes[$field] = $value;
            }
        }
        if ($changes) {
            $this->store->update_user($user, $changes);
        }
    }

    /**
     * Fields of a new account.
     *
     * @param array $claims verified claims
     * @param string $value normalised value of the mapping field
     * @return array
     */
    private function new_user_fields(array $claims, string $value): array {
        $username = $this->field === 'username' ? $value : self::claim_string($claims, 'preferred_username');
        $username = $username === null ? '' : $this->normalise('username', $username);
        if ($username === '' || !preg_match('/^[a-z0-9_.@-]+$/', $username)) {
            throw new mapping_exception('invalid_username');
        }
        if ($this->field !== 'username' && $this->store->find_users('username', $username)) {
            throw new mapping_exception('username_taken', $username);
        }
        $email = self::claim_string($claims, 'email');
        if ($email === null || !filter_var($email, FILTER_VALIDATE_EMAIL)) {
            throw new mapping_exception('invalid_email');
        }
        return [
            'username' => $username,
            'auth' => $this->authtype,
            'email' => $email,
            'firstname' => self::claim_string($claims, 'given_name') ?? $username,
            'lastname' => self::claim_string($claims, 'family_name') ?? '-',
            'idnumber' => $this->field === 'idnumber' ? $value : '',
        ];
    }

    /**
     * The course to open, enrolling first when the token asks for it.
     *
     * @param array $claims verified claims
     * @param int $userid the user logging in
     * @return int|null course id
     */
    private function landing_course(array $claims, int $userid): ?int {
        if (!array_key_exists('course_id', $claims)) {
            return null;
        }
        $courseid = $claims['course_id'];
        if (!is_int($courseid) || $courseid < 1 || !$this->store->course_exists($courseid)) {
            throw new mapping_exception('course_not_found');
        }
        if (
            ($claims['enrol'] ?? false) === true && !$this->store->is_enrolled($courseid, $userid)
            && !$this->store->enrol_student($courseid, $userid)
        ) {
            throw new mapping_exception('enrol_not_available');
        }
        return $courseid;
    }

    /**
     * Moodle stores usernames in lower case; emails are matched as given but trimmed.
     *
     * @param string $field user field
     * @param string $value raw value
     * @return string
     */
    private function normalise(string $field, string $value): string {
        $value = trim($value);
        return $field === 'username' ? mb_strtolower($value, 'UTF-8') : $value;
    }

    /**
     * A non-empty string claim, or null.
     *
     * @param array $claims claims
     * @param string $name claim name
     * @return string|null
     */
    private static function claim_string(array $claims, string $name): ?string {
        $value = $claims[$name] ?? null;
        return is_string($value) && trim($value) !== '' ? $value : null;
    }
}
