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
 * Tests for {@see bridge_client} with a recording transport.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\bridge_client
 */
final class bridge_client_test extends \PHPUnit\Framework\TestCase {
    /**
     * A notification is POSTed to the intake with headers the bridge can verify.
     */
    public function test_notification_signed(): void {
        $vectors = bridge_test_vectors('webhook_vectors.json');
        $signer = new signer($vectors['secret'], $vectors['site']);
        $transport = $this->transport(new http_response(202, '{"status":"accepted"}'));
        $client = new bridge_client($transport, $signer, 'https://bridge.test.invalid/', static fn(): int => $vectors['now']);
        $body = $vectors['notification_examples'][0]['body'];

        $this->assertTrue($client->send_notification($body)->is_success());
        [$url, $headers, $sent] = $transport->requests[0];
        $this->assertSame('https://bridge.test.invalid/api/v1/intake/notifications', $url);
        $this->assertSame($body, $sent);
        $this->assertSame('application/json', $headers['Content-Type']);
        $this->assertSame('valid', $signer->verify($headers, $sent, $vectors['now']));
        $this->assertSame(
            array_column($vectors['cases'], null, 'name')['valid_assign_submission']['headers'],
            array_diff_key($headers, ['Content-Type' => 1])
        );
    }

    /**
     * An exercise upload carries the activity and the YAML, signed, and reports the verdict.
     */
    public function test_exercise_submitted(): void {
        $transport = $this->transport(new http_response(200, '{"valid":true,"message":"3 tests, version 2"}'));
        $client = new bridge_client($transport, new signer('s', 'site'), 'http://127.0.0.1:8000');
        $verdict = $client->submit_exercise(['site' => 'site', 'course_id' => 2, 'cmid' => 1, 'kind' => 'assign',
            'instance_id' => 1], "language: python\n");
        $this->assertSame(exercise_verdict::VALID, $verdict->status);
        $this->assertSame('3 tests, version 2', $verdict->message);
        [$url, , $body] = $transport->requests[0];
        $this->assertSame('http://127.0.0.1:8000/api/v1/intake/exercises', $url);
        $this->assertSame('{"schema":1,"site":"site","course_id":2,"cmid":1,"kind":"assign","instance_id":1,'
            . '"exercise_yaml":"language: python\n"}', $body);
    }

    /**
     * A linked quiz question's exercise carries the question's identity before the YAML.
     */
    public function test_question_exercise_submitted(): void {
        $transport = $this->transport(new http_response(200, '{"valid":true}'));
        $client = new bridge_client($transport, new signer('s', 'site'), 'http://127.0.0.1:8000');
        $verdict = $client->submit_exercise(
            ['site' => 'site', 'course_id' => 2, 'cmid' => 2, 'kind' => 'quiz', 'instance_id' => 1],
            "language: python\n",
            ['question_id' => 12, 'question_bank_entry_id' => 7, 'idnumber' => '', 'name' => 'Sum a list']
        );
        $this->assertSame(exercise_verdict::VALID, $verdict->status);
        [, , $body] = $transport->requests[0];
        $this->assertSame('{"schema":1,"site":"site","course_id":2,"cmid":2,"kind":"quiz","instance_id":1,'
            . '"question":{"question_bank_entry_id":7,"question_id":12,"idnumber":null,"name":"Sum a list"},'
            . '"exercise_yaml":"language: python\n"}', $body);
    }

    /**
     * A question without its bank entry cannot be linked: nothing is sent.
     */
    public function test_question_needs_bank_entry(): void {
        $transport = $this->transport(new http_response(200, '{}'));
        $client = new bridge_client($transport, new signer('s', 'site'), 'http://127.0.0.1:8000');
        try {
            $client->submit_exercise(['kind' => 'quiz'], 'x: 1', ['question_id' => 12, 'question_bank_entry_id' => '7']);
            $this->fail('a bank entry id given as a string was accepted');
        } catch (\InvalidArgumentException $e) {
            $this->assertStringContainsString('question_bank_entry_id', $e->getMessage());
        }
        $this->assertSame([], $transport->requests);
    }

    /**
     * The bridge's answers become what the teacher reads.
     *
     * @return array
     */
    public static function exercise_responses(): array {
        return [
            'fastapi list' => [422, '{"detail":[{"loc":["tests",0,"name"],"msg":"field required"},'
                . '{"loc":["limits"],"msg":"memory must be <= 512 MiB"}]}', exercise_verdict::INVALID,
                "tests.0.name: field required\nlimits: memory must be <= 512 MiB"],
            'string detail' => [400, '{"detail":"exercise.yaml line 3: mapping values are not allowed here"}',
                exercise_verdict::INVALID, 'exercise.yaml line 3: mapping values are not allowed here'],
            'errors list' => [422, '{"errors":["no tests defined"]}', exercise_verdict::INVALID, 'no tests defined'],
            'not json' => [400, 'bad yaml', exercise_verdict::INVALID, 'bad yaml'],
            'server error' => [503, 'unavailable', exercise_verdict::UNREACHABLE, 'HTTP 503'],
            'auth refused' => [401, '{"detail":"bad signature"}', exercise_verdict::UNREACHABLE, 'HTTP 401'],
            'ok without valid' => [200, '{"ok":true}', exercise_verdict::UNREACHABLE,
                'HTTP 200, but the answer does not say the exercise was stored'],
            'valid false' => [200, '{"valid":false}', exercise_verdict::UNREACHABLE,
                'HTTP 200, but the answer does not say the exercise was stored'],
            'html page' => [200, '<html>Moodle</html>', exercise_verdict::UNREACHABLE,
                'HTTP 200, but the answer does not say the exercise was stored'],
        ];
    }

    /**
     * Each answer maps to a verdict and the bridge's exact words.
     *
     * @dataProvider exercise_responses
     * @param int $status HTTP status
     * @param string $body response body
     * @param string $verdict expected status
     * @param string $message expected message
     */
    public function test_exercise_response(int $status, string $body, string $verdict, string $message): void {
        $result = bridge_client::interpret_exercise_response(new http_response($status, $body));
        $this->assertSame($verdict, $result->status);
        $this->assertSame($message, $result->message);
    }

    /**
     * A transport failure is reported to the teacher, not thrown at them.
     */
    public function test_exercise_unreachable(): void {
        $transport = new class implements http_transport {
            /**
             * Fail.
             *
             * @param string $url url
             * @param array $headers headers
             * @param string $body body
             * @return http_response
             */
            public function post(string $url, array $headers, string $body): http_response {
                throw new \RuntimeException('The URL is blocked.');
            }
        };
        $client = new bridge_client($transport, new signer('s', 'site'), 'http://127.0.0.1:8000');
        $verdict = $client->submit_exercise([], 'x: 1');
        $this->assertSame(exercise_verdict::UNREACHABLE, $verdict->status);
        $this->assertSame('The URL is blocked.', $verdict->message);
    }

    /**
     * An unconfigured bridge URL is refused.
     */
    public function test_requires_url(): void {
        $this->expectException(\InvalidArgumentException::class);
        new bridge_client($this->transport(new http_response(200, '')), new signer('s', 'site'), '');
    }

    /**
     * A transport that records requests and answers with a fixed response.
     *
     * @param http_response $response the answer
     * @return http_transport
     */
    private function transport(http_response $response): http_transport {
        return new class ($response) implements http_transport {
            /** @var array[] [url, headers, body] per request */
            public array $requests = [];

            /**
             * Constructor.
             *
             * @param http_response $response the answer
             */
            public function __construct(
                /** @var http_response the answer */
                private http_response $response,
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
                return $this->response;
            }
        };
    }
}
