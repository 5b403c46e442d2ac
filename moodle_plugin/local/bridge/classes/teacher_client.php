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
 * Signed calls a teacher's page makes: regrade an activity, its history, its results, a ping.
 *
 * Every question is {"schema": 1, "site", "nonce", ...} signed like a notification, with a fresh
 * nonce (the bridge refuses a replay). The bridge answers only for the signing site; the pages
 * check the teacher's capabilities before they ask.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class teacher_client {
    /** @var string path of the signed ping, below the bridge URL */
    public const PING_PATH = '/api/v1/intake/ping';
    /** @var string path that starts a regrade */
    public const REGRADES_PATH = '/api/v1/intake/regrades';
    /** @var string path that reads a regrade */
    public const REGRADE_READ_PATH = '/api/v1/intake/regrades/read';
    /** @var string path of the grade history */
    public const HISTORY_PATH = '/api/v1/intake/history';
    /** @var string path of the results export */
    public const RESULTS_PATH = '/api/v1/intake/results';
    /** @var string path of the pass rates */
    public const PASS_RATES_PATH = '/api/v1/intake/results/pass-rates';
    /** @var string path of "fetch again" for one student's failed submission */
    public const REFETCH_PATH = '/api/v1/intake/items/refetch';
    /** @var int students per page of the results export (the bridge's largest) */
    public const PAGE = 500;
    /** @var int pages read for one download at most (a course is far below) */
    public const MAX_PAGES = 40;

    /** @var \Closure returns the current unix time */
    private \Closure $clock;

    /**
     * Constructor.
     *
     * @param http_transport $transport HTTP sender
     * @param signer $signer request signer
     * @param string $bridgeurl base URL of the bridge
     * @param string $site this site's identifier
     * @param \Closure|null $clock returns the current unix time; time() when null
     */
    public function __construct(
        /** @var http_transport HTTP sender */
        private readonly http_transport $transport,
        /** @var signer request signer */
        private readonly signer $signer,
        /** @var string base URL of the bridge */
        private readonly string $bridgeurl,
        /** @var string this site's identifier */
        private readonly string $site,
        ?\Closure $clock = null,
    ) {
        if (!preg_match('~^https?://~i', $bridgeurl)) {
            throw new \InvalidArgumentException('The bridge URL is not configured');
        }
        $this->clock = $clock ?? static fn(): int => time();
    }

    /**
     * Whether the bridge accepts this site's signature; its answer names the JWKS URL.
     *
     * @return array ok, site, bridge_version, jwks_url
     * @throws \RuntimeException with the bridge's refusal (bad_signature, unknown_site, stale...)
     */
    public function ping(): array {
        return $this->expect($this->ask(self::PING_PATH, []), ['ok', 'jwks_url']);
    }

    /**
     * Regrade with the newest exercise version: every latest submission of an assignment, or
     * every finished attempt's answer to one quiz question.
     *
     * @param string $kind assign or quiz
     * @param int $cmid course module id
     * @param int $teacherid the Moodle user who asked
     * @param int|null $entryid the quiz question's bank entry id (quizzes only)
     * @return array the regrade's report (see regrade())
     */
    public function start_regrade(string $kind, int $cmid, int $teacherid, ?int $entryid = null): array {
        $question = ['kind' => $kind, 'cmid' => $cmid] + ($entryid !== null ? ['question_bank_entry_id' => $entryid] : [])
            + ['requested_by' => $teacherid];
        return $this->expect($this->ask(self::REGRADES_PATH, $question), ['id', 'entries']);
    }

    /**
     * A regrade of an activity or quiz question (its newest when no id is given), or null if none.
     *
     * @param string $kind assign or quiz
     * @param int $cmid course module id
     * @param string|null $regradeid the regrade's id
     * @param int|null $entryid the quiz question's bank entry id (quizzes only)
     * @return array|null id, done, total, pending, changed, kept_teacher_grade, entries
     */
    public function regrade(string $kind, int $cmid, ?string $regradeid = null, ?int $entryid = null): ?array {
        $question = ['kind' => $kind, 'cmid' => $cmid];
        if ($entryid !== null) {
            $question['question_bank_entry_id'] = $entryid;
        }
        if ($regradeid !== null) {
            $question['regrade_id'] = $regradeid;
        }
        $response = $this->ask(self::REGRADE_READ_PATH, $question);
        return $response->status === 404 ? null : $this->expect($response, ['id', 'entries']);
    }

    /**
     * A user's grade history, optionally of one activity or one submission/attempt.
     *
     * @param int $userid Moodle user id
     * @param int|null $cmid course module id
     * @param int|null $itemid Moodle submission or attempt id
     * @return array history entries, oldest first
     */
    public function history(int $userid, ?int $cmid = null, ?int $itemid = null): array {
        $question = array_filter(['user_id' => $userid, 'cmid' => $cmid, 'item_id' => $itemid], static fn($v) => $v !== null);
        return $this->expect($this->ask(self::HISTORY_PATH, $question), ['entries'])['entries'];
    }

    /**
     * Per-test pass rates of an activity.
     *
     * @param string $kind assign or quiz
     * @param int $cmid course module id
     * @return array students, tests (question_bank_entry_id, test, passed, total, rate)
     */
    public function pass_rates(string $kind, int $cmid): array {
        return $this->expect($this->ask(self::PASS_RATES_PATH, ['kind' => $kind, 'cmid' => $cmid]), ['tests']);
    }

    /**
     * The whole results export of an activity, every page asked in turn.
     *
     * @param string $kind assign or quiz
     * @param int $cmid course module id
     * @param string $format csv or json
     * @param \Closure|null $people given one page's user ids, returns user id => [column => value]
     *     (asked once per page, so a lookup stays bounded by the page size)
     * @param string[] $columns the columns $people fills, put after user_id
     * @return string CSV text with one header, or a JSON list of students
     */
    public function export(string $kind, int $cmid, string $format, ?\Closure $people = null, array $columns = []): string {
        $after = 0;
        $csv = '';
        $students = [];
        for ($page = 0; $page < self::MAX_PAGES; $page++) {
            $question = ['kind' => $kind, 'cmid' => $cmid, 'format' => $format, 'after_user_id' => $after,
                'limit' => self::PAGE];
            $response = $this->ask(self::RESULTS_PATH, $question);
            if (!$response->is_success()) {
                throw new \RuntimeException("HTTP {$response->status}");
            }
            if ($format === 'csv') {
                $next = self::csv_next_after($response->body, self::PAGE);
                $csv .= $people === null ? $response->body : export_people::csv_page(
                    $response->body,
                    $people(export_people::csv_user_ids($response->body)),
                    $columns
                );
            } else {
                $json = $this->expect($response, ['students']);
                $found = $json['students'];
                if ($people !== null) {
                    $ids = array_values(array_unique(array_map('intval', array_column($found, 'user_id'))));
                    $found = export_people::json_students($found, $people($ids), $columns);
                }
                $students = array_merge($students, $found);
                $next = $json['next_after_user_id'] ?? null;
            }
            if ($next === null) {
                break;
            }
            $after = (int) $next;
        }
        return $format === 'csv' ? $csv : json_encode($students, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
            | JSON_PRETTY_PRINT | JSON_THROW_ON_ERROR);
    }

    /**
     * Where the next CSV page starts: the last student's id when the page held a full page of them.
     *
     * The bridge pages by user id; a page of fewer students than asked for is the last one.
     *
     * @param string $csv one page (the first carries the header)
     * @param int $limit students asked for
     * @return int|null the next page's after_user_id, null at the end
     */
    public static function csv_next_after(string $csv, int $limit): ?int {
        $users = [];
        foreach (preg_split('/\r\n|\n/', trim($csv)) as $line) {
            $first = str_getcsv($line, ',', '"', '')[0] ?? '';
            if (ctype_digit((string) $first)) {
                $users[(int) $first] = true;
            }
        }
        return count($users) === $limit ? (int) array_key_last($users) : null;
    }

    /**
     * Ask a signed question: {"schema", "site", "nonce"} and the question's own keys.
     *
     * @param string $path path below the bridge URL
     * @param array $question the question's keys
     * @return http_response
     */
    private function ask(string $path, array $question): http_response {
        $body = json_encode(
            ['schema' => notification::SCHEMA, 'site' => $this->site, 'nonce' => bin2hex(random_bytes(16))] + $question,
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
        );
        $headers = ['Content-Type' => 'application/json'] + $this->signer->headers($body, ($this->clock)());
        return $this->transport->post(rtrim($this->bridgeurl, '/') . $path, $headers, $body);
    }

    /**
     * Ask the bridge to fetch a student's failed submission again (its cause is fixed since).
     *
     * @param string $kind assign_submission or quiz_attempt
     * @param int $cmid course module id
     * @param int $userid the student
     * @param int $teacherid who asks, for the bridge's log
     * @return array refetched (false: it was already waiting) and state (as the states question answers)
     * @throws \RuntimeException the bridge's refusal: 404 not_found, 409 not_refetchable (its intake did not fail)
     */
    public function refetch(string $kind, int $cmid, int $userid, int $teacherid): array {
        $question = ['kind' => $kind, 'cmid' => $cmid, 'user_id' => $userid, 'requested_by' => $teacherid];
        return $this->expect($this->ask(self::REFETCH_PATH, $question), ['refetched', 'state']);
    }

    /**
     * The decoded answer, or the bridge's refusal as an exception.
     *
     * @param http_response $response the bridge's answer
     * @param array $keys keys the answer must have
     * @return array
     * @throws \RuntimeException naming the bridge's error ("bad_signature: request refused: ...")
     */
    private function expect(http_response $response, array $keys): array {
        $json = json_decode($response->body, true, 32);
        if (!$response->is_success()) {
            $error = is_array($json) ? trim(($json['error'] ?? '') . ': ' . ($json['detail'] ?? ''), ': ') : '';
            throw new \RuntimeException("HTTP {$response->status}" . ($error !== '' ? " {$error}" : ''));
        }
        if (!is_array($json) || array_diff($keys, array_keys($json))) {
            throw new \RuntimeException('The bridge answered in an unexpected shape');
        }
        return $json;
    }
}
