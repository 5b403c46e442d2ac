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
 * Tests for {@see exercise_package} and the client calls that carry it (upload, download).
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\exercise_package
 * @covers     \local_bridge\bridge_client
 */
final class exercise_package_test extends \PHPUnit\Framework\TestCase {
    /** @var array the activity part of an upload */
    private const ACTIVITY = ['site' => 'site', 'course_id' => 2, 'cmid' => 1, 'kind' => 'assign', 'instance_id' => 1];

    /**
     * exercise.yaml alone is schema 1, exactly as submit_exercise() sends it.
     */
    public function test_yaml_alone_is_schema_1(): void {
        $package = exercise_package::from("language: python\n", []);
        $this->assertSame(1, $package->schema());
        $this->assertSame(['exercise_yaml' => "language: python\n"], $package->fields());
        [$sent] = $this->upload($package);
        [$old] = $this->requests(fn(bridge_client $c) => $c->submit_exercise(self::ACTIVITY, "language: python\n"));
        $this->assertSame($old, $sent);
    }

    /**
     * Files go by path, base64, sorted, after the form's exercise.yaml.
     */
    public function test_files_are_sent_by_path_in_base64(): void {
        $package = exercise_package::from("language: python\n", ['test_stats.py' => "def test(): pass\n",
            'data/scores.csv' => "score\n5\n"]);
        $this->assertSame(2, $package->schema());
        [$body] = $this->upload($package);
        $this->assertSame('{"schema":2,"site":"site","course_id":2,"cmid":1,"kind":"assign","instance_id":1,'
            . '"exercise_yaml":"language: python\n","files":{"data/scores.csv":"c2NvcmUKNQo=",'
            . '"test_stats.py":"ZGVmIHRlc3QoKTogcGFzcwo="}}', $body);
    }

    /**
     * One zip alone is the exercise folder, sent unopened; a zip among other files is a file.
     */
    public function test_a_zip_alone_is_the_archive(): void {
        $zip = "PK\x03\x04 not inflated here";
        $package = exercise_package::from('', ['mean.ZIP' => $zip]);
        $this->assertSame(['archive' => base64_encode($zip)], $package->fields());
        [$body] = $this->upload($package, ['question_bank_entry_id' => 7, 'question_id' => 12]);
        $this->assertStringContainsString('"question":{"question_bank_entry_id":7,"question_id":12,'
            . '"idnumber":null,"name":""},"archive":"', $body);
        $mixed = exercise_package::from("language: python\n", ['data.zip' => $zip, 'x.txt' => 'x']);
        $this->assertSame(['data.zip', 'x.txt'], array_keys($mixed->fields()['files']));
    }

    /**
     * Each rule is refused with the string that names it and the value at fault.
     *
     * @dataProvider refusals
     * @param string $yaml the form's text
     * @param array $files the file area
     * @param string $stringid expected string id
     * @param string $a expected value
     */
    public function test_refusals(string $yaml, array $files, string $stringid, string $a): void {
        try {
            exercise_package::from($yaml, $files);
            $this->fail('not refused');
        } catch (package_refused $e) {
            $this->assertSame([$stringid, $a], [$e->stringid, $e->a]);
        }
    }

    /**
     * Packages the form must refuse.
     *
     * @return array[]
     */
    public static function refusals(): array {
        $many = [];
        for ($i = 0; $i <= exercise_package::MAX_FILES; $i++) {
            $many["f{$i}.txt"] = '';
        }
        return [
            'nothing' => [" \n", [], 'exerciserequired', ''],
            'yaml twice' => ['language: c', ['exercise.yaml' => 'language: c'], 'exercisetwice', 'exercise.yaml'],
            'too many' => ['', $many, 'exercisetoomanyfiles', (string) exercise_package::MAX_FILES],
            'too large' => ['x', ['big.bin' => str_repeat("\0", exercise_package::MAX_BYTES)], 'exercisefilestoolarge',
                (string) exercise_package::MAX_BYTES],
            'parent' => ['x', ['data/../../etc/passwd' => ''], 'exercisebadpath', 'data/../../etc/passwd'],
            'absolute' => ['x', ['/etc/passwd' => ''], 'exercisebadpath', '/etc/passwd'],
            'backslash' => ['x', ['a\\b.txt' => ''], 'exercisebadpath', 'a\\b.txt'],
            'long' => ['x', [str_repeat('a', 201) => ''], 'exercisebadpath', str_repeat('a', 201)],
        ];
    }

    /**
     * A download is a signed POST naming the activity; its answer comes back as it is.
     */
    public function test_download_request(): void {
        $signer = new signer('s', 'site');
        $transport = self::transport(new http_response(200, "PK\x03\x04zip"));
        $client = new bridge_client($transport, $signer, 'http://127.0.0.1:8000', static fn(): int => 1000);
        $this->assertSame("PK\x03\x04zip", $client->download_exercise('site', 3, 'quiz', 9)->body);
        [$url, $headers, $body] = $transport->requests[0];
        $this->assertSame('http://127.0.0.1:8000/api/v1/intake/exercises/archive', $url);
        $sent = json_decode($body, true);
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $sent['nonce']);
        $this->assertSame(['schema' => 1, 'site' => 'site', 'nonce' => $sent['nonce'], 'cmid' => 3, 'kind' => 'quiz',
            'question_bank_entry_id' => 9], $sent);
        $this->assertSame('valid', $signer->verify($headers, $body, 1000));
        $client->download_exercise('site', 1, 'assign');
        $again = json_decode($transport->requests[1][2], true);
        $this->assertSame(['schema', 'site', 'nonce', 'cmid', 'kind'], array_keys($again));
        $this->assertNotSame($sent['nonce'], $again['nonce']);
    }

    /**
     * The bridge's refusal of a package reads as the verdict, file and field first.
     */
    public function test_refused_upload_verdict(): void {
        $answer = new http_response(422, '{"valid":false,"detail":"exercise.yaml: files[0]: names \'data/x.csv\', '
            . 'which is not in the exercise"}');
        $client = new bridge_client(self::transport($answer), new signer('s', 'site'), 'http://127.0.0.1:8000');
        $verdict = $client->submit_exercise_package(self::ACTIVITY, exercise_package::from('', ['a.zip' => 'PK']));
        $this->assertSame(exercise_verdict::INVALID, $verdict->status);
        $this->assertStringStartsWith('exercise.yaml: files[0]: ', $verdict->message);
    }

    /**
     * A transport that records each request and gives one answer.
     *
     * @param http_response $response the answer
     * @return http_transport
     */
    private static function transport(http_response $response): http_transport {
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
                private readonly http_response $response,
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

    /**
     * Bodies of an upload of a package.
     *
     * @param exercise_package $package what to send
     * @param array|null $question a question's identity
     * @return string[]
     */
    private function upload(exercise_package $package, ?array $question = null): array {
        return $this->requests(fn(bridge_client $c) => $c->submit_exercise_package(self::ACTIVITY, $package, $question));
    }

    /**
     * Bodies a call through a client sent.
     *
     * @param callable $call gets the client
     * @return string[]
     */
    private function requests(callable $call): array {
        $transport = self::transport(new http_response(200, '{"valid":true}'));
        $call(new bridge_client($transport, new signer('s', 'site'), 'http://127.0.0.1:8000'));
        return array_column($transport->requests, 2);
    }
}
