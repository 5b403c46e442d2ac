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
 * Tests for {@see signer}, driven by the shared vectors in tests/vectors/webhook_vectors.json.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\signer
 */
final class signer_test extends \PHPUnit\Framework\TestCase {
    /**
     * The signature-layer cases of the shared vectors.
     *
     * @return array
     */
    public static function signature_cases(): array {
        $cases = [];
        foreach (bridge_test_vectors('webhook_vectors.json')['cases'] as $case) {
            if ($case['layer'] === 'signature') {
                $cases[$case['name']] = [$case];
            }
        }
        return $cases;
    }

    /**
     * Each case gets its verdict and reason.
     *
     * @dataProvider signature_cases
     * @param array $case one vector case
     */
    public function test_vector(array $case): void {
        $this->assertSame(
            $case['verdict'] === 'accept' ? 'valid' : $case['reason'],
            $this->signer()->verify($case['headers'], $case['body'], $this->vectors()['now'])
        );
    }

    /**
     * Schema-layer cases are correctly signed: they are refused later, by the body check.
     */
    public function test_schema_cases_are_correctly_signed(): void {
        foreach ($this->vectors()['cases'] as $case) {
            if ($case['layer'] === 'schema') {
                $this->assertSame('valid', $this->signer()->verify($case['headers'], $case['body'], $this->vectors()['now']));
            }
        }
    }

    /**
     * headers() produces exactly the vectors' headers for the valid cases.
     */
    public function test_headers_match_vectors(): void {
        $vectors = $this->vectors();
        $case = array_column($vectors['cases'], null, 'name')['valid_assign_submission'];
        $this->assertSame($case['headers'], $this->signer()->headers($case['body'], $vectors['now']));
    }

    /**
     * Header names are case-insensitive, as in HTTP.
     */
    public function test_header_names_case_insensitive(): void {
        $vectors = $this->vectors();
        $case = array_column($vectors['cases'], null, 'name')['valid_quiz_attempt'];
        $lower = array_change_key_case($case['headers'], CASE_LOWER);
        $this->assertSame('valid', $this->signer()->verify($lower, $case['body'], $vectors['now']));
    }

    /**
     * An empty secret is refused at construction.
     */
    public function test_empty_secret_refused(): void {
        $this->expectException(\InvalidArgumentException::class);
        new signer('', 'site');
    }

    /**
     * The vector document.
     *
     * @return array
     */
    private function vectors(): array {
        return bridge_test_vectors('webhook_vectors.json');
    }

    /**
     * A signer configured from the vectors.
     *
     * @return signer
     */
    private function signer(): signer {
        $vectors = $this->vectors();
        return new signer($vectors['secret'], $vectors['site'], $vectors['window_s'], $vectors['max_body_bytes']);
    }
}
