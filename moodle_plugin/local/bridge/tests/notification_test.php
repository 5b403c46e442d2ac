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

namespace local_bridge;

/**
 * Tests for {@see notification}: the bodies match the shared examples and the JSON Schema.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\notification
 */
final class notification_test extends \PHPUnit\Framework\TestCase {
    /**
     * The notification examples of the shared vectors.
     *
     * @return array
     */
    public static function examples(): array {
        $cases = [];
        foreach (bridge_test_vectors('webhook_vectors.json')['notification_examples'] as $example) {
            $cases[$example['name']] = [$example];
        }
        return $cases;
    }

    /**
     * The body built from an event is byte for byte the example's body.
     *
     * @dataProvider examples
     * @param array $example event, snapshot and expected body
     */
    public function test_example(array $example): void {
        $site = bridge_test_vectors('webhook_vectors.json')['site'];
        $this->assertSame($example['snapshot']['table'], notification::snapshot_table($example['event']['eventname']));
        $body = notification::from_event($example['event'], $example['snapshot']['record'], $site);
        $this->assertSame($example['body'], notification::encode($body));
        $this->assert_matches_schema($body);
    }

    /**
     * A student submitting for themself has no relateduserid: the owner comes from the snapshot.
     */
    public function test_owner_from_snapshot(): void {
        $example = self::examples()['assign_submitted_by_teacher_for_student'][0];
        $this->assertSame(2, $example['event']['userid'], 'the actor is the teacher');
        $body = notification::from_event($example['event'], $example['snapshot']['record'], 'site');
        $this->assertSame(6, $body['user_id']);
        $this->assertSame(2, $body['attempt_number']);
    }

    /**
     * A team submission row has userid 0: the submitter stands for the team.
     */
    public function test_team_submission_uses_actor(): void {
        $example = self::examples()['assign_submitted_by_student'][0];
        $snapshot = ['userid' => 0, 'groupid' => 4] + $example['snapshot']['record'];
        $this->assertSame(5, notification::from_event($example['event'], $snapshot, 'site')['user_id']);
    }

    /**
     * Moodle hands ids over as strings at times; they become integers.
     */
    public function test_numeric_strings_accepted(): void {
        $example = self::examples()['quiz_attempt_submitted'][0];
        $event = ['objectid' => '2', 'courseid' => '2', 'contextinstanceid' => '2', 'timecreated' => (string) 1767225570]
            + $example['event'];
        $snapshot = ['id' => '2', 'quiz' => '1', 'attempt' => '1', 'userid' => '5'];
        $this->assertSame($example['body'], notification::encode(notification::from_event(
            $event,
            $snapshot,
            bridge_test_vectors('webhook_vectors.json')['site']
        )));
    }

    /**
     * Other events and inconsistent data are refused.
     *
     * @return array
     */
    public static function invalid_cases(): array {
        $example = self::examples()['assign_submitted_by_student'][0];
        return [
            'other event' => [['eventname' => '\mod_assign\event\submission_graded'] + $example['event'],
                $example['snapshot']['record']],
            'snapshot of another row' => [$example['event'], ['id' => 99] + $example['snapshot']['record']],
            'no course' => [['courseid' => 0] + $example['event'], $example['snapshot']['record']],
            'no assignment' => [$example['event'], ['assignment' => null] + $example['snapshot']['record']],
        ];
    }

    /**
     * Inconsistent input throws instead of sending a wrong notification.
     *
     * @dataProvider invalid_cases
     * @param array $event event data
     * @param array $snapshot snapshot
     */
    public function test_invalid(array $event, array $snapshot): void {
        $this->expectException(\InvalidArgumentException::class);
        notification::from_event($event, $snapshot, 'site');
    }

    /**
     * The event id is the documented hash.
     */
    public function test_event_id(): void {
        $this->assertSame(
            hash('sha256', 'site|\mod_quiz\event\attempt_submitted|2|7|100'),
            notification::event_id('site', '\mod_quiz\event\attempt_submitted', 2, 7, 100)
        );
    }

    /**
     * Check a body against tests/vectors/notification.schema.json (the keywords it uses).
     *
     * @param array $body notification
     */
    private function assert_matches_schema(array $body): void {
        $schema = bridge_test_vectors('notification.schema.json');
        $this->assertSame($schema['required'], array_keys($body), 'every property, in schema order, nothing else');
        foreach ($schema['properties'] as $name => $rule) {
            $value = $body[$name];
            if (isset($rule['const'])) {
                $this->assertSame($rule['const'], $value, $name);
            }
            if (isset($rule['enum'])) {
                $this->assertContains($value, $rule['enum'], $name);
            }
            if (($rule['type'] ?? null) === 'integer') {
                $this->assertIsInt($value, $name);
                $this->assertGreaterThanOrEqual($rule['minimum'], $value, $name);
            }
            if (($rule['type'] ?? null) === 'string') {
                $this->assertIsString($value, $name);
                $this->assertMatchesRegularExpression('/' . $rule['pattern'] . '/', $value, $name);
            }
        }
        foreach ($schema['allOf'] as $rule) {
            if ($body['kind'] === $rule['if']['properties']['kind']['const']) {
                $this->assertSame($rule['then']['properties']['event']['const'], $body['event']);
            }
        }
    }
}
