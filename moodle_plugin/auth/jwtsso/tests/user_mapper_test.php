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
 * Tests for {@see user_mapper} against an in-memory {@see user_store}.
 *
 * @package    auth_jwtsso
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \auth_jwtsso\user_mapper
 */
final class user_mapper_test extends \PHPUnit\Framework\TestCase {
    /** @var array claims of the accepted valid_rs256 vector */
    private array $claims;

    /**
     * Take the claims from the shared vectors so both sides agree on their names.
     */
    protected function setUp(): void {
        parent::setUp();
        $cases = array_column(bridge_test_vectors('jwt_vectors.json')['cases'], null, 'name');
        $this->claims = $cases['valid_rs256']['claims'];
    }

    /**
     * Each mapping field finds the existing account through its claim.
     *
     * @return array
     */
    public static function field_cases(): array {
        return [
            'username' => ['username', ['username' => 'student1']],
            'email' => ['email', ['email' => 'student1@example.test']],
            'idnumber' => ['idnumber', ['idnumber' => '3f5c8a9e-0001-4bde-8a51-student00001']],
        ];
    }

    /**
     * An existing account is found by the configured field.
     *
     * @dataProvider field_cases
     * @param string $field mapping field
     * @param array $fields the existing user's matching field
     */
    public function test_maps_existing_user_by_field(string $field, array $fields): void {
        $store = $this->store();
        $other = $store->add(['username' => 'someoneelse', 'email' => 'x@example.test', 'idnumber' => 'x']);
        $user = $store->add($fields + ['username' => 'student1']);
        $target = (new user_mapper($store, $field, false, false))->map($this->claims);
        $this->assertSame($user->id, $target->user->id);
        $this->assertNotSame($other->id, $target->user->id);
        $this->assertNull($target->courseid);
        $this->assertFalse($target->created);
    }

    /**
     * Usernames are matched in Moodle's lower case.
     */
    public function test_username_lowercased(): void {
        $store = $this->store();
        $user = $store->add(['username' => 'student1']);
        $target = (new user_mapper($store, 'username', false, false))
            ->map(['preferred_username' => ' Student1 '] + $this->claims);
        $this->assertSame($user->id, $target->user->id);
    }

    /**
     * A missing account is created, without a password, only when allowed.
     */
    public function test_creates_when_allowed(): void {
        $store = $this->store();
        $target = (new user_mapper($store, 'idnumber', true, false))->map($this->claims);
        $this->assertTrue($target->created);
        $this->assertSame([
            'username' => 'student1',
            'auth' => 'jwtsso',
            'email' => 'student1@example.test',
            'firstname' => 'Ada',
            'lastname' => 'Lovelace',
            'idnumber' => '3f5c8a9e-0001-4bde-8a51-student00001',
        ], $store->created[0]);
        $this->assertFalse(property_exists($target->user, 'password'));

        $this->expect_mapping_failure('no_account');
        (new user_mapper($this->store(), 'idnumber', false, false))->map($this->claims);
    }

    /**
     * Creation refuses a username that belongs to somebody else.
     */
    public function test_create_refuses_taken_username(): void {
        $store = $this->store();
        $store->add(['username' => 'student1', 'email' => 'other@example.test']);
        $this->expect_mapping_failure('username_taken');
        (new user_mapper($store, 'email', true, false))->map($this->claims);
    }

    /**
     * Creation needs a usable username and email.
     */
    public function test_create_validates_claims(): void {
        $mapper = new user_mapper($this->store(), 'idnumber', true, false);
        $this->expect_mapping_failure('invalid_email');
        $mapper->map(['email' => 'not an email'] + $this->claims);
    }

    /**
     * Suspended and deleted accounts are refused.
     *
     * @return array
     */
    public static function refused_cases(): array {
        return [
            'suspended' => [['suspended' => 1], 'user_suspended'],
            'deleted' => [['deleted' => 1], 'user_deleted'],
            'manual account' => [['auth' => 'manual'], 'other_auth'],
        ];
    }

    /**
     * Accounts that must not log in this way are refused.
     *
     * @dataProvider refused_cases
     * @param array $fields user fields
     * @param string $reason expected reason
     */
    public function test_refuses(array $fields, string $reason): void {
        $store = $this->store();
        $store->add($fields + ['username' => 'student1']);
        $this->expect_mapping_failure($reason);
        (new user_mapper($store, 'username', true, false))->map($this->claims);
    }

    /**
     * Accounts of another auth method are taken over only when allowed, never nologin or admins.
     */
    public function test_takeover(): void {
        $store = $this->store();
        $user = $store->add(['username' => 'student1', 'auth' => 'manual']);
        $target = (new user_mapper($store, 'username', false, true))->map($this->claims);
        $this->assertSame($user->id, $target->user->id);
        $this->assertSame([], $store->updates, 'profile of a foreign account left alone');

        $store = $this->store();
        $store->add(['username' => 'student1', 'auth' => 'nologin']);
        try {
            (new user_mapper($store, 'username', false, true))->map($this->claims);
            $this->fail('nologin account taken over');
        } catch (mapping_exception $e) {
            $this->assertSame('other_auth', $e->reason);
        }

        $store = $this->store();
        $admin = $store->add(['username' => 'student1', 'auth' => 'manual']);
        $store->admins[] = $admin->id;
        $this->expect_mapping_failure('admin_takeover');
        (new user_mapper($store, 'username', false, true))->map($this->claims);
    }

    /**
     * Two accounts sharing an email are refused rather than guessed.
     */
    public function test_ambiguous_email(): void {
        $store = $this->store();
        $store->add(['username' => 'a', 'email' => 'student1@example.test']);
        $store->add(['username' => 'b', 'email' => 'student1@example.test']);
        $this->expect_mapping_failure('ambiguous_user');
        (new user_mapper($store, 'email', true, false))->map($this->claims);
    }

    /**
     * Names and email of an account this plugin owns follow the bridge.
     */
    public function test_profile_refreshed(): void {
        $store = $this->store();
        $store->add(['username' => 'student1', 'firstname' => 'Old', 'lastname' => 'Lovelace']);
        (new user_mapper($store, 'username', false, false))->map($this->claims);
        $this->assertSame([['firstname' => 'Ada', 'email' => 'student1@example.test']], $store->updates);
    }

    /**
     * The token's course is where the user lands, enrolled first when asked.
     */
    public function test_course_and_enrol(): void {
        $store = $this->store();
        $user = $store->add(['username' => 'student1']);
        $mapper = new user_mapper($store, 'username', false, false);

        $target = $mapper->map(['course_id' => 2] + $this->claims);
        $this->assertSame(2, $target->courseid);
        $this->assertSame([], $store->enrolments, 'no enrolment unless asked');

        $target = $mapper->map(['course_id' => 2, 'enrol' => true] + $this->claims);
        $this->assertSame(2, $target->courseid);
        $this->assertSame([[2, $user->id]], $store->enrolments);

        $mapper->map(['course_id' => 2, 'enrol' => true] + $this->claims);
        $this->assertCount(1, $store->enrolments, 'already enrolled: not enrolled twice');

        $this->expect_mapping_failure('course_not_found');
        $mapper->map(['course_id' => 99] + $this->claims);
    }

    /**
     * A course without manual enrolment cannot be entered by enrolment.
     */
    public function test_enrol_not_available(): void {
        $store = $this->store();
        $store->add(['username' => 'student1']);
        $store->manualenrol = false;
        $this->expect_mapping_failure('enrol_not_available');
        (new user_mapper($store, 'username', false, false))->map(['course_id' => 2, 'enrol' => true] + $this->claims);
    }

    /**
     * Expect a mapping_exception with this reason.
     *
     * @param string $reason machine word
     */
    private function expect_mapping_failure(string $reason): void {
        $this->expectException(mapping_exception::class);
        $this->expectExceptionMessageMatches('/^' . preg_quote($reason, '/') . '\b/');
    }

    /**
     * An in-memory user store with course 2.
     *
     * @return user_store
     */
    private function store(): user_store {
        return new class implements user_store {
            /** @var \stdClass[] users by id */
            public array $users = [];
            /** @var array[] fields of created users */
            public array $created = [];
            /** @var array[] profile updates */
            public array $updates = [];
            /** @var int[] site admin ids */
            public array $admins = [];
            /** @var array[] [courseid, userid] enrolments made */
            public array $enrolments = [];
            /** @var bool whether course 2 has manual enrolment */
            public bool $manualenrol = true;

            /**
             * Add a user.
             *
             * @param array $fields fields
             * @return \stdClass
             */
            public function add(array $fields): \stdClass {
                $user = (object) ($fields + ['id' => count($this->users) + 10, 'auth' => 'jwtsso', 'suspended' => 0,
                    'deleted' => 0, 'email' => '', 'idnumber' => '', 'firstname' => 'Ada', 'lastname' => 'Lovelace']);
                return $this->users[$user->id] = $user;
            }

            /**
             * Find users.
             *
             * @param string $field field
             * @param string $value value
             * @return array
             */
            public function find_users(string $field, string $value): array {
                return array_values(array_filter($this->users, static fn($u): bool => $u->$field === $value));
            }

            /**
             * Create a user.
             *
             * @param array $fields fields
             * @return \stdClass
             */
            public function create_user(array $fields): \stdClass {
                $this->created[] = $fields;
                return $this->add($fields);
            }

            /**
             * Update a user.
             *
             * @param \stdClass $user user
             * @param array $fields changes
             */
            public function update_user(\stdClass $user, array $fields): void {
                $this->updates[] = $fields;
            }

            /**
             * Whether admin.
             *
             * @param int $userid user id
             * @return bool
             */
            public function is_site_admin(int $userid): bool {
                return in_array($userid, $this->admins, true);
            }

            /**
             * Whether the course exists.
             *
             * @param int $courseid course id
             * @return bool
             */
            public function course_exists(int $courseid): bool {
                return $courseid === 2;
            }

            /**
             * Whether enrolled.
             *
             * @param int $courseid course id
             * @param int $userid user id
             * @return bool
             */
            public function is_enrolled(int $courseid, int $userid): bool {
                return in_array([$courseid, $userid], $this->enrolments, true);
            }

            /**
             * Enrol.
             *
             * @param int $courseid course id
             * @param int $userid user id
             * @return bool
             */
            public function enrol_student(int $courseid, int $userid): bool {
                if (!$this->manualenrol) {
                    return false;
                }
                $this->enrolments[] = [$courseid, $userid];
                return true;
            }
        };
    }
}
