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
 * Signed calls from Moodle to the bridge: notifications, exercise uploads, grading states and failures.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class bridge_client {
    /** @var string path of the notification intake, below the bridge URL */
    public const NOTIFICATIONS_PATH = '/api/v1/intake/notifications';
    /** @var string path of the exercise intake, below the bridge URL */
    public const EXERCISES_PATH = '/api/v1/intake/exercises';
    /** @var string path of the grading states of submissions, below the bridge URL */
    public const STATES_PATH = '/api/v1/intake/states';
    /** @var string path of the submissions that could not be graded, below the bridge URL */
    public const FAILURES_PATH = '/api/v1/intake/failures';
    /** @var string path of the exercise download, below the bridge URL */
    public const EXERCISE_ARCHIVE_PATH = '/api/v1/intake/exercises/archive';
    /** @var int longest error message kept from a response */
    private const MAX_MESSAGE = 2000;

    /** @var \Closure returns the current unix time */
    private \Closure $clock;

    /**
     * Constructor.
     *
     * @param http_transport $transport HTTP sender
     * @param signer $signer request signer
     * @param string $bridgeurl base URL of the bridge, without trailing slash
     * @param \Closure|null $clock returns the current unix time; time() when null
     */
    public function __construct(
        /** @var http_transport HTTP sender */
        private readonly http_transport $transport,
        /** @var signer request signer */
        private readonly signer $signer,
        /** @var string base URL of the bridge, without trailing slash */
        private readonly string $bridgeurl,
        ?\Closure $clock = null,
    ) {
        if (!preg_match('~^https?://~i', $bridgeurl)) {
            throw new \InvalidArgumentException('The bridge URL is not configured');
        }
        $this->clock = $clock ?? static fn(): int => time();
    }

    /**
     * Deliver a notification body; a 2xx answer is the acknowledgement.
     *
     * @param string $body JSON text from {@see notification::encode()}
     * @return http_response the bridge's answer
     * @throws \RuntimeException when the bridge could not be reached
     */
    public function send_notification(string $body): http_response {
        return $this->post(self::NOTIFICATIONS_PATH, $body);
    }

    /**
     * Send an exercise for one activity, or one question of a quiz, and report what the bridge said.
     *
     * The body is {"schema", "site", "course_id", "cmid", "kind", "instance_id", "exercise_yaml"},
     * and for a linked quiz question also "question": {"question_bank_entry_id", "question_id",
     * "idnumber", "name"} (placed before "exercise_yaml"); the bank entry id is what identifies
     * the question (a slot changes when the quiz is reordered).
     *
     * @param array $activity site, course_id, cmid, kind (assign|quiz), instance_id
     * @param string $exerciseyaml the exercise.yaml text the teacher attached
     * @param array|null $question identity of the linked quiz question, null for a whole activity
     * @return exercise_verdict
     */
    public function submit_exercise(array $activity, string $exerciseyaml, ?array $question = null): exercise_verdict {
        $body = ['schema' => notification::SCHEMA] + $activity;
        if ($question !== null) {
            $body['question'] = self::question_object($question);
        }
        $body = json_encode(
            $body + ['exercise_yaml' => $exerciseyaml],
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
        );
        try {
            $response = $this->post(self::EXERCISES_PATH, $body);
        } catch (\RuntimeException $e) {
            return new exercise_verdict(exercise_verdict::UNREACHABLE, $e->getMessage());
        }
        return self::interpret_exercise_response($response);
    }

    /**
     * Send an exercise with its files (schema 2), or exercise.yaml alone (schema 1, as above).
     *
     * The body is {"schema", "site", "course_id", "cmid", "kind", "instance_id", ["question"],
     * then the package's "exercise_yaml", "files" ({path: base64}) and "archive" (base64 zip)}.
     *
     * @param array $activity site, course_id, cmid, kind (assign|quiz), instance_id
     * @param exercise_package $package the exercise.yaml and files the teacher gave
     * @param array|null $question identity of the linked quiz question, null for a whole activity
     * @return exercise_verdict
     */
    public function submit_exercise_package(
        array $activity,
        exercise_package $package,
        ?array $question = null
    ): exercise_verdict {
        return $this->submit_exercise_body(self::exercise_body($activity, $package, $question));
    }

    /**
     * The JSON body of an exercise upload (what {@see upload_receipt::hash()} is taken of).
     *
     * @param array $activity site, course_id, cmid, kind (assign|quiz), instance_id
     * @param exercise_package $package the exercise.yaml and files the teacher gave
     * @param array|null $question identity of the linked quiz question, null for a whole activity
     * @return string
     */
    public static function exercise_body(array $activity, exercise_package $package, ?array $question = null): string {
        $body = ['schema' => $package->schema()] + $activity;
        if ($question !== null) {
            $body['question'] = self::question_object($question);
        }
        return json_encode(
            $body + $package->fields(),
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
        );
    }

    /**
     * Send a body from {@see self::exercise_body()} and report what the bridge said.
     *
     * @param string $body the upload's JSON
     * @return exercise_verdict
     */
    public function submit_exercise_body(string $body): exercise_verdict {
        try {
            $response = $this->post(self::EXERCISES_PATH, $body);
        } catch (\RuntimeException $e) {
            return new exercise_verdict(exercise_verdict::UNREACHABLE, $e->getMessage());
        }
        return self::interpret_exercise_response($response);
    }

    /**
     * Ask for the exercise of an activity (or of one quiz question) back as a zip.
     *
     * The body is {"schema": 1, "site", "nonce", "cmid", "kind", ["question_bank_entry_id"]}
     * (a fresh nonce: two clicks are two requests, a captured one cannot be replayed); a 200
     * answer's body is the zip (`grader check` reads it), a 404 means nothing is linked.
     *
     * @param string $site this site's identifier
     * @param int $cmid course module id
     * @param string $kind assign or quiz
     * @param int|null $entryid question bank entry id, for a quiz
     * @return http_response
     * @throws \RuntimeException when the bridge could not be reached
     */
    public function download_exercise(string $site, int $cmid, string $kind, ?int $entryid = null): http_response {
        $body = ['schema' => 1, 'site' => $site, 'nonce' => bin2hex(random_bytes(16)), 'cmid' => $cmid, 'kind' => $kind];
        if ($entryid !== null) {
            $body['question_bank_entry_id'] = $entryid;
        }
        return $this->post(self::EXERCISE_ARCHIVE_PATH, json_encode($body, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR));
    }

    /**
     * The "question" object of an exercise upload, keys in documented order.
     *
     * @param array $question question_bank_entry_id, question_id, idnumber (optional), name (optional)
     * @return array
     */
    public static function question_object(array $question): array {
        foreach (['question_bank_entry_id', 'question_id'] as $key) {
            if (!is_int($question[$key] ?? null) || $question[$key] < 1) {
                throw new \InvalidArgumentException("The question's {$key} is missing");
            }
        }
        $idnumber = $question['idnumber'] ?? null;
        return [
            'question_bank_entry_id' => $question['question_bank_entry_id'],
            'question_id' => $question['question_id'],
            'idnumber' => $idnumber === null || $idnumber === '' ? null : (string) $idnumber,
            'name' => (string) ($question['name'] ?? ''),
        ];
    }

    /**
     * Turn the bridge's answer to an exercise upload into a verdict for the teacher.
     *
     * 2xx with `"valid": true` is valid (optional "message", and "version", the exercise version
     * the bridge now grades with); a 2xx saying anything else (a proxy's page, a bridge that did
     * not store the link) is not an acceptance: unreachable, so the next save sends again. 400 and
     * 422 are a refusal whose exact words come from "detail" (a string, or FastAPI's list of
     * {loc, msg}) or "errors"; anything else is unreachable.
     *
     * @param http_response $response bridge answer
     * @return exercise_verdict
     */
    public static function interpret_exercise_response(http_response $response): exercise_verdict {
        $json = json_decode($response->body, true);
        $json = is_array($json) ? $json : [];
        if ($response->is_success()) {
            if (($json['valid'] ?? null) !== true) {
                return new exercise_verdict(
                    exercise_verdict::UNREACHABLE,
                    "HTTP {$response->status}, but the answer does not say the exercise was stored"
                );
            }
            $version = is_int($json['version'] ?? null) ? $json['version'] : null;
            return new exercise_verdict(exercise_verdict::VALID, self::clip((string) ($json['message'] ?? '')), $version);
        }
        if ($response->status === 400 || $response->status === 422) {
            $detail = $json['detail'] ?? $json['errors'] ?? $response->body;
            return new exercise_verdict(exercise_verdict::INVALID, self::clip(self::describe($detail)));
        }
        return new exercise_verdict(exercise_verdict::UNREACHABLE, "HTTP {$response->status}");
    }

    /**
     * The grading state of each (kind, cmid, user_id) submission asked about, in the order asked.
     *
     * @param string $site this site's identifier
     * @param array $items keys from {@see grading_state::keys()}, at most 100
     * @return array the bridge's states, one per item
     * @throws \RuntimeException when the bridge could not be asked or answered something else
     */
    public function grading_states(string $site, array $items): array {
        $json = $this->ask(self::STATES_PATH, $site, ['items' => array_values($items)]);
        if (!isset($json['states']) || !is_array($json['states']) || count($json['states']) !== count($items)) {
            throw new \RuntimeException('The bridge answered the states question in an unexpected shape');
        }
        return array_values($json['states']);
    }

    /**
     * Submissions of this site that could not be graded, failed at or after a time.
     *
     * @param string $site this site's identifier
     * @param int $since unix time
     * @param int $limit most failures in one answer (at most 200)
     * @return array failures (list), next_since (int), more (bool)
     * @throws \RuntimeException when the bridge could not be asked or answered something else
     */
    public function failures(string $site, int $since, int $limit = 100): array {
        $json = $this->ask(self::FAILURES_PATH, $site, ['since' => $since, 'limit' => $limit]);
        if (!isset($json['failures'], $json['next_since']) || !is_array($json['failures']) || !is_int($json['next_since'])) {
            throw new \RuntimeException('The bridge answered the failures question in an unexpected shape');
        }
        return ['failures' => array_values($json['failures']), 'next_since' => $json['next_since'],
            'more' => !empty($json['more'])];
    }

    /**
     * Ask the bridge a signed question; each carries a fresh nonce, so that it is never a replay.
     *
     * @param string $path path below the bridge URL
     * @param string $site this site's identifier
     * @param array $question the question's own keys
     * @return array the decoded answer
     */
    private function ask(string $path, string $site, array $question): array {
        $body = json_encode(
            ['schema' => notification::SCHEMA, 'site' => $site, 'nonce' => bin2hex(random_bytes(16))] + $question,
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
        );
        $response = $this->post($path, $body);
        if (!$response->is_success()) {
            throw new \RuntimeException("HTTP {$response->status}: " . self::clip($response->body));
        }
        $json = json_decode($response->body, true, 16);
        if (!is_array($json)) {
            throw new \RuntimeException('The bridge did not answer with JSON');
        }
        return $json;
    }

    /**
     * POST a signed body below the bridge URL.
     *
     * @param string $path path below the bridge URL
     * @param string $body raw body
     * @return http_response
     */
    private function post(string $path, string $body): http_response {
        $headers = ['Content-Type' => 'application/json'] + $this->signer->headers($body, ($this->clock)());
        return $this->transport->post(rtrim($this->bridgeurl, '/') . $path, $headers, $body);
    }

    /**
     * Flatten an error detail into one readable line per problem.
     *
     * @param mixed $detail string, list of strings or list of {loc, msg}
     * @return string
     */
    private static function describe(mixed $detail): string {
        if (is_string($detail)) {
            return $detail;
        }
        if (!is_array($detail)) {
            return json_encode($detail);
        }
        $lines = [];
        foreach ($detail as $item) {
            if (is_array($item) && isset($item['msg'])) {
                $loc = isset($item['loc']) && is_array($item['loc']) ? implode('.', $item['loc']) . ': ' : '';
                $lines[] = $loc . $item['msg'];
            } else {
                $lines[] = is_string($item) ? $item : json_encode($item);
            }
        }
        return implode("\n", $lines);
    }

    /**
     * Limit a message to a sensible length.
     *
     * @param string $message text
     * @return string
     */
    private static function clip(string $message): string {
        return mb_strlen($message) > self::MAX_MESSAGE ? mb_substr($message, 0, self::MAX_MESSAGE) . '…' : $message;
    }
}
