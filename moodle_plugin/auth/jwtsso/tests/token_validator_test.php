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

use Firebase\JWT\JWT;

/**
 * Tests for {@see token_validator}, driven by the shared vectors in tests/vectors/jwt_vectors.json.
 *
 * @package    auth_jwtsso
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \auth_jwtsso\token_validator
 */
final class token_validator_test extends \PHPUnit\Framework\TestCase {
    /**
     * Every shared vector case.
     *
     * @return array
     */
    public static function vector_cases(): array {
        $cases = [];
        foreach (bridge_test_vectors('jwt_vectors.json')['cases'] as $case) {
            $cases[$case['name']] = [$case];
        }
        return $cases;
    }

    /**
     * Each vector gets its verdict, and a refusal carries the vector's error code.
     *
     * @dataProvider vector_cases
     * @param array $case one vector case
     */
    public function test_vector(array $case): void {
        $vectors = bridge_test_vectors('jwt_vectors.json');
        $validator = $this->validator($vectors, $this->jwks($vectors['jwks']['keys']), $this->jtis($vectors['used_jti']));
        try {
            $claims = $validator->validate($case['token']);
            $this->assertSame('accept', $case['verdict'], "{$case['name']} was accepted");
            $this->assertEquals($case['claims'], $claims);
        } catch (invalid_token_exception $e) {
            $this->assertSame('reject', $case['verdict'], "{$case['name']} was refused: {$e->getMessage()}");
            $this->assertSame($case['error'], $e->reason);
        }
    }

    /**
     * The vectors cover every scenario the issue lists.
     */
    public function test_vectors_cover_required_scenarios(): void {
        $vectors = bridge_test_vectors('jwt_vectors.json');
        $reasons = array_column($vectors['cases'], 'reason');
        $required = [
            'alg_none', 'hmac_with_public_key', 'unknown_kid', 'retired_key_expired', 'expired', 'not_yet_valid',
            'wrong_iss', 'wrong_aud', 'replayed_jti', 'tampered_payload', 'bad_signature', 'truncated', 'oversized',
            'wrong_typ', 'wrong_claim_type', 'invalid_json',
        ];
        foreach ($required as $reason) {
            $this->assertContains($reason, $reasons);
        }
        $names = array_merge(
            ['valid_rs256', 'valid_es256', 'aud_list_contains_audience', 'retired_key_still_in_jwks'],
            ['aud_object_with_audience', 'aud_nested_list', 'iss_list', 'exp_numeric_string', 'nested_past_json_decode_depth'],
        );
        $present = array_column($vectors['cases'], 'name');
        foreach ($names as $name) {
            $this->assertContains($name, $present);
        }
        $this->assertSame(token_validator::ALLOWED_ALGS, $vectors['allowed_algs']);
        $this->assertSame(token_validator::DEFAULT_MAX_TOKEN_BYTES, $vectors['max_token_bytes']);
    }

    /**
     * A known kid never causes a refetch; an unknown kid causes exactly one.
     */
    public function test_jwks_refetched_at_most_once(): void {
        $vectors = bridge_test_vectors('jwt_vectors.json');
        $cases = array_column($vectors['cases'], 'token', 'name');

        $jwks = $this->jwks($vectors['jwks']['keys']);
        $this->validator($vectors, $jwks, $this->jtis([]))->validate($cases['valid_rs256']);
        $this->assertSame(0, $jwks->refreshes);

        $jwks = $this->jwks($vectors['jwks']['keys']);
        try {
            $this->validator($vectors, $jwks, $this->jtis([]))->validate($cases['unknown_kid']);
            $this->fail('unknown kid accepted');
        } catch (invalid_token_exception $e) {
            $this->assertSame('unknown_kid', $e->reason);
        }
        $this->assertSame(1, $jwks->refreshes);
    }

    /**
     * A key published after the cache was filled (rotation) is found by the one refetch.
     */
    public function test_new_key_found_after_refetch(): void {
        $vectors = bridge_test_vectors('jwt_vectors.json');
        $keys = $vectors['jwks']['keys'];
        $cached = array_values(array_filter($keys, static fn(array $k): bool => $k['kty'] !== 'EC'));
        $jwks = $this->jwks($keys, $cached);
        $claims = $this->validator($vectors, $jwks, $this->jtis([]))
            ->validate(array_column($vectors['cases'], 'token', 'name')['valid_es256']);
        $this->assertSame('jti-accept-es256-0001', $claims['jti']);
        $this->assertSame(1, $jwks->refreshes);
    }

    /**
     * The same token is accepted once only, and its jti is remembered until exp plus leeway.
     */
    public function test_token_accepted_once(): void {
        $vectors = bridge_test_vectors('jwt_vectors.json');
        $token = array_column($vectors['cases'], 'token', 'name')['valid_rs256'];
        $jtis = $this->jtis([]);
        $validator = $this->validator($vectors, $this->jwks($vectors['jwks']['keys']), $jtis);
        $claims = $validator->validate($token);
        $this->assertSame($claims['exp'] + $vectors['leeway'], $jtis->seen[$claims['jti']]);
        $this->expectExceptionObject(new invalid_token_exception('replayed_jti'));
        $validator->validate($token);
    }

    /**
     * PHP-JWT's static clock and leeway are restored, whatever the outcome.
     */
    public function test_firebase_static_state_restored(): void {
        $vectors = bridge_test_vectors('jwt_vectors.json');
        JWT::$leeway = 7;
        JWT::$timestamp = null;
        $validator = $this->validator($vectors, $this->jwks($vectors['jwks']['keys']), $this->jtis([]));
        foreach (['valid_rs256', 'expired'] as $name) {
            try {
                $validator->validate(array_column($vectors['cases'], 'token', 'name')[$name]);
            } catch (invalid_token_exception $e) {
                $this->assertSame('expired', $e->reason);
            }
        }
        $this->assertSame(7, JWT::$leeway);
        $this->assertNull(JWT::$timestamp);
        JWT::$leeway = 0;
    }

    /**
     * An unconfigured issuer or audience is a configuration error, not an open door.
     */
    public function test_requires_issuer_and_audience(): void {
        $this->expectException(\InvalidArgumentException::class);
        new token_validator($this->jwks([]), $this->jtis([]), '', 'https://moodle.test.invalid');
    }

    /**
     * Build a validator configured from the vector file.
     *
     * @param array $vectors vector document
     * @param jwks_provider $jwks key source
     * @param jti_store $jtis jti store
     * @return token_validator
     */
    private function validator(array $vectors, jwks_provider $jwks, jti_store $jtis): token_validator {
        $now = $vectors['now'];
        return new token_validator(
            $jwks,
            $jtis,
            $vectors['issuer'],
            $vectors['audience'],
            $vectors['leeway'],
            $vectors['max_token_bytes'],
            static fn(): int => $now
        );
    }

    /**
     * A key source that counts refreshes.
     *
     * @param array $keys keys after a refresh
     * @param array|null $cached keys before any refresh (same as $keys when null)
     * @return jwks_provider
     */
    private function jwks(array $keys, ?array $cached = null): jwks_provider {
        return new class ($keys, $cached ?? $keys) implements jwks_provider {
            /** @var int number of forced refreshes */
            public int $refreshes = 0;

            /**
             * Constructor.
             *
             * @param array $fresh keys served on refresh
             * @param array $cached keys served from cache
             */
            public function __construct(
                /** @var array keys served on refresh */
                private array $fresh,
                /** @var array keys served from cache */
                private array $cached,
            ) {
            }

            /**
             * Return the keys, counting refreshes.
             *
             * @param bool $refresh bypass the cache
             * @return array
             */
            public function get_keys(bool $refresh): array {
                if ($refresh) {
                    $this->refreshes++;
                    $this->cached = $this->fresh;
                }
                return $this->cached;
            }
        };
    }

    /**
     * An in-memory jti store.
     *
     * @param string[] $used jtis already consumed
     * @return jti_store
     */
    private function jtis(array $used): jti_store {
        return new class (array_fill_keys($used, 0)) implements jti_store {
            /**
             * Constructor.
             *
             * @param array $seen jti => expiry
             */
            public function __construct(
                /** @var array jti => expiry */
                public array $seen,
            ) {
            }

            /**
             * Remember a jti.
             *
             * @param string $jti token id
             * @param int $expiry expiry
             * @return bool
             */
            public function consume(string $jti, int $expiry): bool {
                if (array_key_exists($jti, $this->seen)) {
                    return false;
                }
                $this->seen[$jti] = $expiry;
                return true;
            }
        };
    }
}
