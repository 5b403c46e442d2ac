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
 * Tests for {@see quiz_response}: the stored essay answer becomes bounded plain text.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\quiz_response
 */
final class quiz_response_test extends \PHPUnit\Framework\TestCase {
    /**
     * A converter that shows it was called, as html_to_text() would change the text.
     *
     * @return \Closure
     */
    private static function html(): \Closure {
        return static fn(string $html): string => 'TEXT(' . strip_tags($html) . ')';
    }

    /**
     * Plain and monospaced answers (FORMAT_PLAIN) are taken as typed, indentation included.
     */
    public function test_plain_kept(): void {
        $code = "def f(x):\n    return [i * i for i in x]  # <b>not html</b>\n";
        $response = quiz_response::from_stored($code, '2', self::html());
        $this->assertSame($code, $response->text);
        $this->assertSame(2, $response->format);
        $this->assertSame(strlen($code), $response->bytes);
        $this->assertFalse($response->truncated);
    }

    /**
     * A textarea's CRLF line ends become LF.
     */
    public function test_line_ends(): void {
        $this->assertSame("a\nb\nc\n", quiz_response::from_stored("a\r\nb\rc\r\n", 2, self::html())->text);
    }

    /**
     * Editor responses (HTML, Moodle auto-format) go through the converter; Markdown does not.
     */
    public function test_html_converted(): void {
        $this->assertSame('TEXT(print(1))', quiz_response::from_stored('<p>print(1)</p>', 1, self::html())->text);
        $this->assertSame('TEXT(x)', quiz_response::from_stored('x', 0, self::html())->text);
        $this->assertSame('*x*', quiz_response::from_stored('*x*', 4, self::html())->text);
    }

    /**
     * No answer at all is an empty response, in plain text.
     */
    public function test_no_answer(): void {
        $response = quiz_response::from_stored(null, null, self::html());
        $this->assertSame('', $response->text);
        $this->assertSame(2, $response->format);
        $this->assertSame(0, $response->bytes);
    }

    /**
     * An oversized answer is cut on a character boundary and flagged with its real size.
     */
    public function test_truncated_on_character_boundary(): void {
        $text = str_repeat('é', 6);
        $response = quiz_response::from_stored($text, 2, self::html(), 5);
        $this->assertTrue($response->truncated);
        $this->assertSame(12, $response->bytes);
        $this->assertSame('éé', $response->text);
        $this->assertTrue(mb_check_encoding($response->text, 'UTF-8'));
    }

    /**
     * Exactly at the limit is not truncated.
     */
    public function test_at_limit(): void {
        $response = quiz_response::from_stored('abcde', 2, self::html(), 5);
        $this->assertFalse($response->truncated);
        $this->assertSame('abcde', $response->text);
    }

    /**
     * Bytes that are not UTF-8 never reach the JSON answer as such.
     */
    public function test_invalid_utf8_repaired(): void {
        $response = quiz_response::from_stored("ok\xff", 2, self::html());
        $this->assertTrue(mb_check_encoding($response->text, 'UTF-8'));
        $this->assertStringStartsWith('ok', $response->text);
        $this->assertNotFalse(json_encode($response->text));
    }
}
