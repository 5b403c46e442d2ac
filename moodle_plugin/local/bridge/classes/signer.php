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
 * HMAC-SHA256 signing of requests to the bridge, and verification (tests/vectors/webhook_vectors.json).
 *
 * Headers: X-Bridge-Site, X-Bridge-Timestamp (unix seconds) and
 * X-Bridge-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>.
 *
 * @package    local_bridge
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class signer {
    /** @var string header naming the sending site */
    public const HEADER_SITE = 'X-Bridge-Site';
    /** @var string header carrying the signing time */
    public const HEADER_TIMESTAMP = 'X-Bridge-Timestamp';
    /** @var string header carrying the signature */
    public const HEADER_SIGNATURE = 'X-Bridge-Signature';
    /** @var int default validity window in seconds, either side of now */
    public const DEFAULT_WINDOW = 300;
    /** @var int default largest body accepted by verify() */
    public const DEFAULT_MAX_BODY_BYTES = 16384;

    /**
     * Constructor.
     *
     * @param string $secret shared secret
     * @param string $site this site's identifier
     * @param int $window seconds a signature stays valid either side of now
     * @param int $maxbodybytes largest body verify() accepts
     */
    public function __construct(
        /** @var string shared secret */
        private readonly string $secret,
        /** @var string this site's identifier */
        private readonly string $site,
        /** @var int seconds a signature stays valid either side of now */
        private readonly int $window = self::DEFAULT_WINDOW,
        /** @var int largest body verify() accepts */
        private readonly int $maxbodybytes = self::DEFAULT_MAX_BODY_BYTES,
    ) {
        if ($secret === '') {
            throw new \InvalidArgumentException('The shared signing secret is empty');
        }
    }

    /**
     * Signature header value for a body signed at a time.
     *
     * @param string $body raw body bytes
     * @param int $timestamp unix time
     * @return string sha256=<hex>
     */
    public function signature(string $body, int $timestamp): string {
        return 'sha256=' . hash_hmac('sha256', $timestamp . '.' . $body, $this->secret);
    }

    /**
     * The three headers to send with a body.
     *
     * @param string $body raw body bytes
     * @param int $timestamp unix time
     * @return array header name => value
     */
    public function headers(string $body, int $timestamp): array {
        return [
            self::HEADER_SITE => $this->site,
            self::HEADER_TIMESTAMP => (string) $timestamp,
            self::HEADER_SIGNATURE => $this->signature($body, $timestamp),
        ];
    }

    /**
     * Check signed headers and body; returns 'valid' or the reason for refusing.
     *
     * Reasons, in the order checked: oversized, missing_header, malformed_header, unknown_site,
     * stale, future, bad_signature.
     *
     * @param array $headers header name => value (names compared case-insensitively)
     * @param string $body raw body bytes
     * @param int $now unix time
     * @return string
     */
    public function verify(array $headers, string $body, int $now): string {
        if (strlen($body) > $this->maxbodybytes) {
            return 'oversized';
        }
        $headers = array_change_key_case($headers, CASE_LOWER);
        $site = $headers[strtolower(self::HEADER_SITE)] ?? null;
        $timestamp = $headers[strtolower(self::HEADER_TIMESTAMP)] ?? null;
        $signature = $headers[strtolower(self::HEADER_SIGNATURE)] ?? null;
        if (!is_string($site) || !is_string($timestamp) || !is_string($signature)) {
            return 'missing_header';
        }
        if (!preg_match('/^[0-9]{1,12}$/', $timestamp) || !preg_match('/^sha256=[0-9a-f]{64}$/', $signature)) {
            return 'malformed_header';
        }
        if (!hash_equals($this->site, $site)) {
            return 'unknown_site';
        }
        $age = $now - (int) $timestamp;
        if ($age > $this->window) {
            return 'stale';
        }
        if (-$age > $this->window) {
            return 'future';
        }
        if (!hash_equals($this->signature($body, (int) $timestamp), $signature)) {
            return 'bad_signature';
        }
        return 'valid';
    }
}
