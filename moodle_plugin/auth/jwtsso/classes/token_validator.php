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

use Firebase\JWT\BeforeValidException;
use Firebase\JWT\ExpiredException;
use Firebase\JWT\JWK;
use Firebase\JWT\JWT;
use Firebase\JWT\Key;
use Firebase\JWT\SignatureInvalidException;

/**
 * Validates the bridge's SSO tokens with Firebase PHP-JWT (shipped by Moodle core).
 *
 * Checks run in the order listed in tests/vectors/jwt_vectors.json ("check_order"), so a refused
 * token always gets the same reason here and in the bridge's own tests. Pure logic: the keys and
 * the jti memory come in through interfaces, the clock through a closure.
 *
 * @package    auth_jwtsso
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class token_validator implements token_validator_interface {
    /** @var string[] the only algorithms accepted: never none, never HMAC. */
    public const ALLOWED_ALGS = ['RS256', 'ES256'];

    /** @var array JWK key type required by each algorithm. */
    private const KEY_TYPES = ['RS256' => 'RSA', 'ES256' => 'EC'];

    /** @var int default maximum size of a token in bytes. */
    public const DEFAULT_MAX_TOKEN_BYTES = 8192;

    /** @var \Closure returns the current unix time */
    private \Closure $clock;

    /**
     * Constructor.
     *
     * @param jwks_provider $jwks the bridge's published keys
     * @param jti_store $jtis memory of used token ids
     * @param string $issuer exact expected iss
     * @param string $audience exact expected aud (or one element of aud)
     * @param int $leeway seconds of clock skew tolerated on exp, nbf and iat
     * @param int $maxbytes largest token accepted
     * @param \Closure|null $clock returns the current unix time; time() when null
     */
    public function __construct(
        /** @var jwks_provider the bridge's published keys */
        private readonly jwks_provider $jwks,
        /** @var jti_store memory of used token ids */
        private readonly jti_store $jtis,
        /** @var string exact expected iss */
        private readonly string $issuer,
        /** @var string exact expected aud (or one element of aud) */
        private readonly string $audience,
        /** @var int seconds of clock skew tolerated on exp, nbf and iat */
        private readonly int $leeway = 30,
        /** @var int largest token accepted */
        private readonly int $maxbytes = self::DEFAULT_MAX_TOKEN_BYTES,
        ?\Closure $clock = null,
    ) {
        if ($issuer === '' || $audience === '') {
            throw new \InvalidArgumentException('issuer and audience must be configured');
        }
        $this->clock = $clock ?? static fn(): int => time();
    }

    /**
     * Validate a token and return its claims.
     *
     * @param string $token compact JWS
     * @return array verified claims
     * @throws invalid_token_exception
     */
    public function validate(string $token): array {
        if (strlen($token) > $this->maxbytes) {
            throw new invalid_token_exception('oversized', strlen($token) . ' bytes');
        }
        [$header, $payload, $claims] = $this->parse($token);

        $alg = $header->alg ?? null;
        if (!is_string($alg) || !in_array($alg, self::ALLOWED_ALGS, true)) {
            throw new invalid_token_exception('alg_not_allowed', is_string($alg) ? $alg : 'missing');
        }
        if (property_exists($header, 'typ') && (!is_string($header->typ) || strtoupper($header->typ) !== 'JWT')) {
            throw new invalid_token_exception('wrong_typ');
        }
        $kid = $header->kid ?? null;
        if (!is_string($kid) || $kid === '') {
            throw new invalid_token_exception('missing_kid');
        }
        $key = $this->key_for($kid, $alg);
        $this->verify_signature_and_times($token, $key, $claims);

        if (($claims['iss'] ?? null) !== $this->issuer) {
            throw new invalid_token_exception('wrong_iss');
        }
        // The object form: decoded to an array, {"0": "<audience>"} would pass for a list.
        if (!$this->audience_matches($payload->aud ?? null)) {
            throw new invalid_token_exception('wrong_aud');
        }
        foreach (['exp', 'iat'] as $name) {
            if (!isset($claims[$name]) || !is_int($claims[$name])) {
                throw new invalid_token_exception('missing_claim', $name);
            }
        }
        foreach (['sub', 'jti'] as $name) {
            if (!isset($claims[$name]) || !is_string($claims[$name]) || $claims[$name] === '') {
                throw new invalid_token_exception('missing_claim', $name);
            }
        }
        if (!$this->jtis->consume($claims['jti'], $claims['exp'] + $this->leeway)) {
            throw new invalid_token_exception('replayed_jti');
        }
        return $claims;
    }

    /**
     * Split and decode the header and payload without trusting them yet.
     *
     * @param string $token compact JWS
     * @return array [header object, payload object, claims array]
     */
    private function parse(string $token): array {
        $segments = explode('.', $token);
        if (count($segments) !== 3) {
            throw new invalid_token_exception('malformed', 'expected 3 segments, got ' . count($segments));
        }
        foreach ($segments as $segment) {
            if (!preg_match('/^[A-Za-z0-9_-]*$/', $segment)) {
                throw new invalid_token_exception('malformed', 'not base64url');
            }
        }
        $header = json_decode(self::b64url_decode($segments[0]));
        $payload = json_decode(self::b64url_decode($segments[1]));
        if (!$header instanceof \stdClass || !$payload instanceof \stdClass) {
            throw new invalid_token_exception('malformed', 'header and payload must be JSON objects');
        }
        return [$header, $payload, json_decode(self::b64url_decode($segments[1]), true)];
    }

    /**
     * Find the key with exactly this kid, refetching the JWKS at most once.
     *
     * @param string $kid key id from the header
     * @param string $alg algorithm from the header (already allow-listed)
     * @return Key PHP-JWT key
     */
    private function key_for(string $kid, string $alg): Key {
        $jwk = self::find_jwk($this->jwks->get_keys(false), $kid) ?? self::find_jwk($this->jwks->get_keys(true), $kid);
        if ($jwk === null) {
            throw new invalid_token_exception('unknown_kid');
        }
        if (
            ($jwk['alg'] ?? null) !== $alg || ($jwk['kty'] ?? null) !== self::KEY_TYPES[$alg]
            || (isset($jwk['use']) && $jwk['use'] !== 'sig')
        ) {
            throw new invalid_token_exception('key_alg_mismatch');
        }
        try {
            return JWK::parseKey($jwk);
        } catch (\Throwable $e) {
            throw new invalid_token_exception('unusable_key', $e->getMessage(), $e);
        }
    }

    /**
     * The JWK whose kid equals $kid byte for byte.
     *
     * @param array $keys JWKs
     * @param string $kid wanted kid
     * @return array|null the JWK or null
     */
    private static function find_jwk(array $keys, string $kid): ?array {
        foreach ($keys as $jwk) {
            if (is_array($jwk) && ($jwk['kid'] ?? null) === $kid) {
                return $jwk;
            }
        }
        return null;
    }

    /**
     * Signature, nbf, iat and exp through PHP-JWT, with our clock and leeway.
     *
     * @param string $token compact JWS
     * @param Key $key verification key
     * @param array $claims the decoded payload, for the type of its time claims
     */
    private function verify_signature_and_times(string $token, Key $key, array $claims): void {
        // PHP-JWT keeps its clock and leeway in static properties: set them for this call only.
        [$leeway, $timestamp] = [JWT::$leeway, JWT::$timestamp];
        JWT::$leeway = $this->leeway;
        JWT::$timestamp = ($this->clock)();
        try {
            JWT::decode($token, $key);
        } catch (SignatureInvalidException $e) {
            throw new invalid_token_exception('bad_signature', '', $e);
        } catch (ExpiredException $e) {
            self::check_time_types($claims);
            throw new invalid_token_exception('expired', '', $e);
        } catch (BeforeValidException $e) {
            self::check_time_types($claims);
            throw new invalid_token_exception('not_yet_valid', '', $e);
        } catch (\UnexpectedValueException $e) {
            throw new invalid_token_exception('malformed', $e->getMessage(), $e);
        } catch (\DomainException $e) {
            // OpenSSL errors on garbage signatures.
            throw new invalid_token_exception('bad_signature', $e->getMessage(), $e);
        } catch (\Throwable $e) {
            // After the signature held, PHP-JWT calls floor() on nbf and iat and compares exp:
            // a list or an object there fails.
            self::check_time_types($claims);
            throw new invalid_token_exception('bad_signature', $e->getMessage(), $e);
        } finally {
            [JWT::$leeway, JWT::$timestamp] = [$leeway, $timestamp];
        }
        self::check_time_types($claims);
    }

    /**
     * Refuse nbf, iat and exp that are not JSON numbers (PHP-JWT lets "123" and true through).
     *
     * @param array $claims the decoded payload
     */
    private static function check_time_types(array $claims): void {
        foreach (['nbf', 'iat', 'exp'] as $name) {
            if (isset($claims[$name]) && !is_int($claims[$name]) && !is_float($claims[$name])) {
                throw new invalid_token_exception('malformed', "{$name} is not a number");
            }
        }
    }

    /**
     * Whether aud is our audience or a JSON array containing it.
     *
     * @param mixed $aud the aud claim as decoded into objects: a JSON object is a \stdClass
     * @return bool
     */
    private function audience_matches(mixed $aud): bool {
        if (is_string($aud)) {
            return $aud === $this->audience;
        }
        return is_array($aud) && in_array($this->audience, $aud, true);
    }

    /**
     * Base64url decode (no padding); invalid input decodes to an empty string.
     *
     * @param string $data encoded segment
     * @return string raw bytes
     */
    private static function b64url_decode(string $data): string {
        return (string) base64_decode(strtr($data, '-_', '+/') . str_repeat('=', (4 - strlen($data) % 4) % 4), true);
    }
}
