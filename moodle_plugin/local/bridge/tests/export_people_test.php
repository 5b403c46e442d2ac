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
 * Tests for {@see export_people}: names and identity fields beside user_id in the results export.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\export_people
 */
final class export_people_test extends \PHPUnit\Framework\TestCase {
    /** @var string a page as the bridge writes it (header, a multi-line quoted cell, a neutralised one) */
    private const PAGE = "user_id,attempt_number,status,test\r\n"
        . "5,1,graded,sums\r\n"
        . "5,1,graded,\"two\r\nlines, \"\"quoted\"\"\"\r\n"
        . "7,0,failed,'=cmd\r\n";

    /**
     * The header gets the column names; each row its student's values, formulas neutralised.
     */
    public function test_csv_page_inserts_after_user_id(): void {
        $people = [
            5 => ['fullname' => 'Ann Smith', 'email' => 'ann@example.org'],
            7 => ['fullname' => '=HYPERLINK("x")', 'email' => '@evil, "x"'],
        ];
        $expected = "user_id,fullname,email,attempt_number,status,test\r\n"
            . "5,Ann Smith,ann@example.org,1,graded,sums\r\n"
            . "5,Ann Smith,ann@example.org,1,graded,\"two\r\nlines, \"\"quoted\"\"\"\r\n"
            . "7,\"'=HYPERLINK(\"\"x\"\")\",\"'@evil, \"\"x\"\"\",0,failed,'=cmd\r\n";
        $this->assertSame($expected, export_people::csv_page(self::PAGE, $people, ['fullname', 'email']));
    }

    /**
     * Without identity fields only the name is added; an unknown user gets empty cells.
     */
    public function test_csv_page_name_only_and_unknown_user(): void {
        $out = export_people::csv_page("5,1,graded,sums\r\n", [], ['fullname']);
        $this->assertSame("5,,1,graded,sums\r\n", $out);
        $this->assertSame('', export_people::csv_page('', [], ['fullname']));
    }

    /**
     * The ids of a page, once each, in order; the header is left out.
     */
    public function test_csv_user_ids(): void {
        $this->assertSame([5, 7], export_people::csv_user_ids(self::PAGE));
    }

    /**
     * JSON keys follow user_id; the bridge's keys are kept as they were.
     */
    public function test_json_students(): void {
        $students = [['user_id' => 5, 'score' => 4.0, 'tests' => []], ['user_id' => 9, 'score' => null]];
        $out = export_people::json_students($students, [5 => ['fullname' => 'Ann Smith']], ['fullname', 'email']);
        $this->assertSame(['user_id', 'fullname', 'email', 'score', 'tests'], array_keys($out[0]));
        $this->assertSame('Ann Smith', $out[0]['fullname']);
        $this->assertSame('', $out[0]['email']);
        $this->assertSame(['user_id' => 9, 'fullname' => '', 'email' => '', 'score' => null], $out[1]);
    }

    /**
     * The bridge's formula rule.
     */
    public function test_cell(): void {
        foreach (['=1', '+1', '-1', '@x', "\tx", "\rx"] as $bad) {
            $this->assertSame("'" . $bad, export_people::cell($bad));
        }
        $this->assertSame('Ann', export_people::cell('Ann'));
        $this->assertSame('', export_people::cell(''));
    }
}
