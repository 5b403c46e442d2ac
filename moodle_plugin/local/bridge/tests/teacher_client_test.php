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
 * Tests for {@see teacher_client} with a transport that answers from a list.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\teacher_client
 */
final class teacher_client_test extends \PHPUnit\Framework\TestCase {
    /** @var string CSV header the bridge sends on the first page */
    private const HEADER = "user_id,attempt_number,question_bank_entry_id,exercise_version,status,score,max_score,grade,"
        . "teacher_override,test,visibility,test_status,test_score,test_max_score\r\n";

    /**
     * A ping is signed so that the bridge can verify it, with a fresh nonce each time.
     */
    public function test_ping_is_signed_with_a_fresh_nonce(): void {
        $answer = '{"ok":true,"site":"site","bridge_version":"0.2.0","jwks_url":"https://b.test/api/v1/auth/jwks.json"}';
        $transport = $this->transport([new http_response(200, $answer), new http_response(200, $answer)]);
        $signer = new signer('secret', 'site');
        $client = new teacher_client($transport, $signer, 'https://b.test/', 'site', static fn(): int => 1000);
        $this->assertSame('https://b.test/api/v1/auth/jwks.json', $client->ping()['jwks_url']);
        $client->ping();
        [$url, $headers, $body] = $transport->requests[0];
        $this->assertSame('https://b.test/api/v1/intake/ping', $url);
        $this->assertSame('valid', $signer->verify($headers, $body, 1000));
        $first = json_decode($body, true);
        $this->assertSame(['schema', 'site', 'nonce'], array_keys($first));
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $first['nonce']);
        $this->assertNotSame($first['nonce'], json_decode($transport->requests[1][2], true)['nonce']);
    }

    /**
     * The bridge's refusal reaches the teacher with its reason.
     */
    public function test_a_refusal_names_the_reason(): void {
        $transport = $this->transport([new http_response(401, '{"error":"bad_signature","detail":"request refused"}')]);
        $client = new teacher_client($transport, new signer('wrong', 'site'), 'https://b.test', 'site');
        $this->expectExceptionMessage('HTTP 401 bad_signature: request refused');
        $client->ping();
    }

    /**
     * "Fetch again" names the student's submission and the teacher; a refusal says why.
     */
    public function test_refetch(): void {
        $answer = '{"refetched":true,"state":{"state":"queued"}}';
        $transport = $this->transport([
            new http_response(202, $answer),
            new http_response(409, '{"error":"not_refetchable","detail":"the item is fetched","status":"fetched"}'),
        ]);
        $signer = new signer('s', 'site');
        $client = new teacher_client($transport, $signer, 'https://b.test', 'site', static fn(): int => 1000);
        $this->assertTrue($client->refetch('assign_submission', 7, 5, 2)['refetched']);
        [$url, $headers, $body] = $transport->requests[0];
        $this->assertSame('https://b.test/api/v1/intake/items/refetch', $url);
        $this->assertSame('valid', $signer->verify($headers, $body, 1000));
        $keys = array_keys(json_decode($body, true));
        $this->assertSame(['schema', 'site', 'nonce', 'kind', 'cmid', 'user_id', 'requested_by'], $keys);
        $this->expectExceptionMessage('HTTP 409 not_refetchable: the item is fetched');
        $client->refetch('assign_submission', 7, 5, 2);
    }

    /**
     * A regrade is started for the teacher, and an activity never regraded has none.
     */
    public function test_regrade_started_and_read(): void {
        $report = '{"id":"0b6f1c1e-1f6c-4a53-9d0e-1d2c3b4a5f60","done":false,"entries":[]}';
        $transport = $this->transport([new http_response(202, $report), new http_response(404, '{"error":"not_found"}')]);
        $client = new teacher_client($transport, new signer('s', 'site'), 'https://b.test', 'site');
        $this->assertFalse($client->start_regrade('assign', 7, 2)['done']);
        $this->assertNull($client->regrade('quiz', 8));
        $sent = json_decode($transport->requests[0][2], true);
        $this->assertSame(['assign', 7, 2], [$sent['kind'], $sent['cmid'], $sent['requested_by']]);
        $this->assertSame('https://b.test/api/v1/intake/regrades/read', $transport->requests[1][0]);
        $this->assertArrayNotHasKey('regrade_id', json_decode($transport->requests[1][2], true));
    }

    /**
     * A quiz is regraded question by question: the question's bank entry is in both questions.
     */
    public function test_quiz_question_regrade(): void {
        $report = '{"id":"0b6f1c1e-1f6c-4a53-9d0e-1d2c3b4a5f60","done":true,"entries":[]}';
        $transport = $this->transport([new http_response(202, $report), new http_response(200, $report)]);
        $client = new teacher_client($transport, new signer('s', 'site'), 'https://b.test', 'site');
        $client->start_regrade('quiz', 2, 3, 101);
        $this->assertTrue($client->regrade('quiz', 2, null, 101)['done']);
        $started = json_decode($transport->requests[0][2], true);
        $keys = ['schema', 'site', 'nonce', 'kind', 'cmid', 'question_bank_entry_id', 'requested_by'];
        $this->assertSame($keys, array_keys($started));
        $this->assertSame(101, json_decode($transport->requests[1][2], true)['question_bank_entry_id']);
    }

    /**
     * The history question leaves out what was not asked for.
     */
    public function test_history_of_one_submission(): void {
        $transport = $this->transport([new http_response(200, '{"entries":[{"event":"graded"}]}')]);
        $client = new teacher_client($transport, new signer('s', 'site'), 'https://b.test', 'site');
        $this->assertSame([['event' => 'graded']], $client->history(5, null, 12));
        $sent = json_decode($transport->requests[0][2], true);
        $this->assertSame(['schema', 'site', 'nonce', 'user_id', 'item_id'], array_keys($sent));
    }

    /**
     * A CSV export of two pages is asked page by page and has one header.
     */
    public function test_csv_export_reads_every_page(): void {
        $full = self::HEADER;
        for ($user = 1; $user <= teacher_client::PAGE; $user++) {
            $full .= "{$user},0,0,1,delivered,2.0,2.0,100.0,0,greets,visible,passed,1.0,1.0\r\n";
        }
        $last = "501,0,0,1,graded,1.0,2.0,,0,greets,visible,failed,0.0,1.0\r\n";
        $transport = $this->transport([new http_response(200, $full), new http_response(200, $last)]);
        $client = new teacher_client($transport, new signer('s', 'site'), 'https://b.test', 'site');
        $csv = $client->export('assign', 3, 'csv');
        $this->assertSame($full . $last, $csv);
        $this->assertCount(2, $transport->requests);
        $this->assertSame(500, json_decode($transport->requests[1][2], true)['after_user_id']);
        $this->assertSame(1, substr_count($csv, 'user_id,'));
    }

    /**
     * A JSON export follows next_after_user_id.
     */
    public function test_json_export_follows_the_cursor(): void {
        $transport = $this->transport([
            new http_response(200, '{"students":[{"user_id":4}],"next_after_user_id":4}'),
            new http_response(200, '{"students":[{"user_id":9}],"next_after_user_id":null}'),
        ]);
        $client = new teacher_client($transport, new signer('s', 'site'), 'https://b.test', 'site');
        $this->assertSame([['user_id' => 4], ['user_id' => 9]], json_decode($client->export('quiz', 3, 'json'), true));
        $this->assertSame(4, json_decode($transport->requests[1][2], true)['after_user_id']);
    }

    /**
     * With a people lookup, each page is looked up alone (its own ids) and gets the columns.
     */
    public function test_export_adds_people_page_by_page(): void {
        $full = self::HEADER;
        for ($user = 1; $user <= teacher_client::PAGE; $user++) {
            $full .= "{$user},0,0,1,delivered,2.0,2.0,100.0,0,greets,visible,passed,1.0,1.0\r\n";
        }
        $last = "501,0,0,1,graded,1.0,2.0,,0,greets,visible,failed,0.0,1.0\r\n";
        $transport = $this->transport([new http_response(200, $full), new http_response(200, $last)]);
        $client = new teacher_client($transport, new signer('s', 'site'), 'https://b.test', 'site');
        $asked = [];
        $people = static function (array $ids) use (&$asked): array {
            $asked[] = count($ids);
            return array_fill_keys($ids, ['fullname' => 'Student']);
        };
        $csv = $client->export('assign', 3, 'csv', $people, ['fullname']);
        $this->assertSame([teacher_client::PAGE, 1], $asked);
        $this->assertStringStartsWith("user_id,fullname,attempt_number,", $csv);
        $this->assertStringEndsWith("\r\n501,Student,0,0,1,graded,1.0,2.0,,0,greets,visible,failed,0.0,1.0\r\n", $csv);
        $this->assertSame(500, json_decode($transport->requests[1][2], true)['after_user_id']);

        $transport = $this->transport([new http_response(200, '{"students":[{"user_id":4,"score":1}],"next_after_user_id":null}')]);
        $client = new teacher_client($transport, new signer('s', 'site'), 'https://b.test', 'site');
        $json = json_decode($client->export('quiz', 3, 'json', $people, ['fullname']), true);
        $this->assertSame([['user_id' => 4, 'fullname' => 'Student', 'score' => 1]], $json);
    }

    /**
     * Where the next CSV page starts.
     */
    public function test_csv_next_after(): void {
        $page = self::HEADER . "3,0,0,1,graded,1,2,,0,a,visible,passed,1,1\r\n3,0,0,1,graded,1,2,,0,b,hidden,failed,0,1\r\n"
            . "8,1,0,1,graded,2,2,,0,a,visible,passed,1,1\r\n";
        $this->assertSame(8, teacher_client::csv_next_after($page, 2));
        $this->assertNull(teacher_client::csv_next_after($page, 3));
        $this->assertNull(teacher_client::csv_next_after(self::HEADER, 500));
    }

    /**
     * A transport answering with the given responses in turn, recording each request.
     *
     * @param http_response[] $responses answers
     * @return http_transport
     */
    private function transport(array $responses): http_transport {
        return new class ($responses) implements http_transport {
            /** @var array[] [url, headers, body] per request */
            public array $requests = [];

            /**
             * Constructor.
             *
             * @param http_response[] $responses answers
             */
            public function __construct(
                /** @var http_response[] answers */
                private array $responses,
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
                $this->requests[] = [$url, $headers, $body];
                return array_shift($this->responses);
            }
        };
    }
}
