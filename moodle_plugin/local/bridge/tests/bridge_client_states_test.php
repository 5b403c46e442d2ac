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
 * Tests for the grading-state questions of {@see bridge_client}: signed, a fresh nonce each time.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\bridge_client
 */
final class bridge_client_states_test extends \PHPUnit\Framework\TestCase {
    /**
     * The states question goes to /states signed, with the site, a nonce and the keys.
     */
    public function test_states_question_signed(): void {
        $signer = new signer('secret-of-the-test', 'site-a');
        $transport = $this->transport('{"states":[{"state":"queued","user_id":5}]}');
        $client = new bridge_client($transport, $signer, 'http://127.0.0.1:8000/', static fn(): int => 1767225600);
        $keys = grading_state::keys('assign', 4, [5]);

        $this->assertSame([['state' => 'queued', 'user_id' => 5]], $client->grading_states('site-a', $keys));
        [$url, $headers, $body] = $transport->requests[0];
        $this->assertSame('http://127.0.0.1:8000/api/v1/intake/states', $url);
        $this->assertSame('valid', $signer->verify($headers, $body, 1767225600));
        $sent = json_decode($body, true);
        $this->assertSame(['schema', 'site', 'nonce', 'items'], array_keys($sent));
        $this->assertSame(['site-a', $keys], [$sent['site'], $sent['items']]);
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $sent['nonce']);

        $client->grading_states('site-a', $keys);
        $this->assertNotSame(
            $sent['nonce'],
            json_decode($transport->requests[1][2], true)['nonce'],
            'two questions in the same second are two requests, never a replay'
        );
    }

    /**
     * A refusal or an answer of another shape is an error, never a made-up state.
     */
    public function test_states_refused_or_malformed(): void {
        foreach (['{"error":"bad_signature"}' => 401, '{"states":[]}' => 200, 'not json' => 200] as $body => $status) {
            $client = new bridge_client($this->transport($body, $status), new signer('s', 'site'), 'http://bridge.test');
            try {
                $client->grading_states('site', grading_state::keys('assign', 1, [5]));
                $this->fail("accepted {$body}");
            } catch (\RuntimeException $e) {
                $this->assertNotSame('', $e->getMessage());
            }
        }
    }

    /**
     * The failures question carries since and limit, and the answer's cursor comes back.
     */
    public function test_failures_question(): void {
        $transport = $this->transport('{"failures":[{"failure_id":"x"}],"next_since":1767225000,"more":true}');
        $client = new bridge_client($transport, new signer('s', 'site'), 'http://bridge.test');
        $answer = $client->failures('site', 1767220000, 50);
        $this->assertSame(['failures' => [['failure_id' => 'x']], 'next_since' => 1767225000, 'more' => true], $answer);
        [$url, , $body] = $transport->requests[0];
        $this->assertSame('http://bridge.test/api/v1/intake/failures', $url);
        $this->assertSame([1767220000, 50], [json_decode($body, true)['since'], json_decode($body, true)['limit']]);
    }

    /**
     * A transport that records requests and always gives one answer.
     *
     * @param string $body answer body
     * @param int $status answer status
     * @return http_transport
     */
    private function transport(string $body, int $status = 200): http_transport {
        return new class (new http_response($status, $body)) implements http_transport {
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
