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
 * Tests for {@see upload_receipt}: a save sends until the bridge accepted this very upload.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\upload_receipt
 */
final class upload_receipt_test extends \PHPUnit\Framework\TestCase {
    /** @var array the activity part of every upload here */
    private const ACTIVITY = ['site' => 'site', 'course_id' => 2, 'cmid' => 3, 'kind' => 'quiz', 'instance_id' => 1];
    /** @var array the question of every upload here */
    private const QUESTION = ['question_bank_entry_id' => 7, 'question_id' => 12, 'idnumber' => null, 'name' => 'Sum'];

    /**
     * A recording transport answering the given responses in turn.
     *
     * @param http_response ...$responses answers
     * @return http_transport
     */
    private function transport(http_response ...$responses): http_transport {
        return new class ($responses) implements http_transport {
            /** @var array sent requests */
            public array $requests = [];

            /**
             * Constructor.
             *
             * @param array $responses answers, in order
             */
            public function __construct(
                /** @var array answers, in order */
                private array $responses
            ) {
            }

            /**
             * Record and answer.
             *
             * @param string $url url
             * @param array $headers headers
             * @param string $body body
             * @return http_response
             */
            public function post(string $url, array $headers, string $body): http_response {
                $this->requests[] = $body;
                return array_shift($this->responses);
            }
        };
    }

    /**
     * What the activity and question forms do on each save, with the row's accepted hash.
     *
     * @param bridge_client $client the client
     * @param string|null $acceptedhash the row's acceptedhash, changed here
     * @param string $yaml exercise.yaml
     * @param array $files other files
     * @return exercise_verdict|null null when nothing was sent
     */
    private function save(bridge_client $client, ?string &$acceptedhash, string $yaml, array $files = []): ?exercise_verdict {
        $body = bridge_client::exercise_body(self::ACTIVITY, exercise_package::from($yaml, $files), self::QUESTION);
        $hash = upload_receipt::hash($body);
        if (!upload_receipt::must_send(true, $acceptedhash, $hash)) {
            return null;
        }
        $verdict = $client->submit_exercise_body($body);
        $acceptedhash = upload_receipt::after($verdict, $hash);
        return $verdict;
    }

    /**
     * Saved while the bridge could not store it, the unchanged page is sent again on the next save.
     */
    public function test_unchanged_content_is_sent_until_accepted(): void {
        $transport = $this->transport(
            new http_response(503, '{"detail":"database unavailable"}'),
            new http_response(200, '{"valid":true,"message":"1 test, 1 points, version 1","version":1}'),
            new http_response(200, '{"valid":true,"message":"1 test, 1 points, version 2","version":2}'),
        );
        $client = new bridge_client($transport, new signer('s', 'site'), 'http://127.0.0.1:8000');
        $hash = null;

        $first = $this->save($client, $hash, "language: python\n");
        $this->assertSame(exercise_verdict::UNREACHABLE, $first->status);
        $this->assertNull($hash);
        // The unchanged page, saved again.
        $again = $this->save($client, $hash, "language: python\n");
        $this->assertSame(exercise_verdict::VALID, $again->status);
        $this->assertSame(1, $again->version);
        $this->assertSame(hash('sha256', $transport->requests[1]), $hash);
        $this->assertSame($transport->requests[0], $transport->requests[1]);
        // Accepted: nothing is sent.
        $this->assertNull($this->save($client, $hash, "language: python\n"));
        $this->assertCount(2, $transport->requests);
        // A file changed.
        $changed = $this->save($client, $hash, "language: python\n", ['data.csv' => "a\n"]);
        $this->assertSame(2, $changed->version);
        $this->assertCount(3, $transport->requests);
    }

    /**
     * A 2xx that does not say the exercise was stored is no acceptance: the next save sends again.
     */
    public function test_a_2xx_without_acceptance_is_not_accepted(): void {
        $transport = $this->transport(new http_response(200, '<html>proxy</html>'), new http_response(204, ''));
        $client = new bridge_client($transport, new signer('s', 'site'), 'http://127.0.0.1:8000');
        $hash = null;
        $this->assertSame(exercise_verdict::UNREACHABLE, $this->save($client, $hash, "language: python\n")->status);
        $this->assertSame(exercise_verdict::UNREACHABLE, $this->save($client, $hash, "language: python\n")->status);
        $this->assertNull($hash);
        $this->assertCount(2, $transport->requests);
    }

    /**
     * A refusal forgets the accepted hash, and switching off never sends.
     */
    public function test_refusal_and_switched_off(): void {
        $this->assertNull(upload_receipt::after(new exercise_verdict(exercise_verdict::INVALID, 'no tests'), str_repeat('a', 64)));
        $this->assertFalse(upload_receipt::must_send(false, null, str_repeat('a', 64)));
        $this->assertTrue(upload_receipt::must_send(true, '', str_repeat('a', 64)));
        $this->assertTrue(upload_receipt::must_send(true, str_repeat('b', 64), str_repeat('a', 64)));
        $this->assertFalse(upload_receipt::must_send(true, str_repeat('a', 64), str_repeat('a', 64)));
    }

    /**
     * Another question, course module or site is another upload, even with the same exercise.
     */
    public function test_the_hash_covers_the_whole_upload(): void {
        $package = exercise_package::from("language: python\n", []);
        $base = bridge_client::exercise_body(self::ACTIVITY, $package, self::QUESTION);
        $others = [
            bridge_client::exercise_body(['cmid' => 4] + self::ACTIVITY, $package, self::QUESTION),
            bridge_client::exercise_body(['site' => 'other'] + self::ACTIVITY, $package, self::QUESTION),
            bridge_client::exercise_body(self::ACTIVITY, $package, ['question_id' => 13] + self::QUESTION),
            bridge_client::exercise_body(self::ACTIVITY, $package),
        ];
        foreach ($others as $other) {
            $this->assertNotSame(upload_receipt::hash($base), upload_receipt::hash($other));
        }
    }

    /**
     * A row a plugin without hashes saved "valid" is shown as unconfirmed, any other as it is.
     */
    public function test_shown_status(): void {
        $this->assertSame(upload_receipt::UNCONFIRMED, upload_receipt::shown_status(exercise_verdict::VALID, null));
        $this->assertSame(exercise_verdict::VALID, upload_receipt::shown_status(exercise_verdict::VALID, str_repeat('a', 64)));
        $this->assertSame(exercise_verdict::UNREACHABLE, upload_receipt::shown_status(exercise_verdict::UNREACHABLE, null));
        $this->assertSame('restored', upload_receipt::shown_status('restored', null));
    }
}
