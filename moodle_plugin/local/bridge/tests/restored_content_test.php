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
 * Tests for {@see restored_content}: what a restored activity keeps of its backup.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\restored_content
 */
final class restored_content_test extends \PHPUnit\Framework\TestCase {
    /**
     * The settings are kept for the new course module, marked as not linked on the bridge.
     */
    public function test_activity_row_keeps_the_exercise_for_the_new_module(): void {
        // As the restore parser gives it: strings, with the old row's id, status and message.
        $data = (object) [
            'id' => '7', 'enabled' => '1', 'exercise' => "language: python\n",
            'bridgestatus' => 'valid', 'bridgemessage' => '3 tests', 'timemodified' => '1700000000',
        ];
        $this->assertEquals(
            (object) [
                'cmid' => 42, 'enabled' => 1, 'exercise' => "language: python\n",
                'bridgestatus' => 'restored', 'bridgemessage' => '', 'timemodified' => 1767225600,
            ],
            restored_content::activity_row($data, 42, 1767225600)
        );
        $this->assertFalse(property_exists(restored_content::activity_row($data, 42, 1), 'id'));
    }

    /**
     * A disabled or empty backup element stays disabled, with an empty exercise.
     */
    public function test_activity_row_of_a_disabled_activity(): void {
        $row = restored_content::activity_row((object) ['enabled' => '0', 'exercise' => null], 5, 1);
        $this->assertSame(0, $row->enabled);
        $this->assertSame('', $row->exercise);
        $this->assertSame(restored_content::STATUS, $row->bridgestatus);
        // The column is char(16) and the forms read 'status_' . bridgestatus as a string id.
        $this->assertLessThanOrEqual(16, strlen(restored_content::STATUS));
    }

    /**
     * A link gets the new quiz and the mapped bank entry, and is marked not linked on the bridge.
     */
    public function test_question_row_points_at_the_new_quiz_and_entry(): void {
        $data = (object) [
            'id' => '3', 'questionbankentryid' => '4', 'linked' => '1', 'exercise' => 'x: 1',
            'bridgestatus' => 'valid', 'bridgemessage' => 'ok', 'timemodified' => '1',
        ];
        $this->assertEquals(
            (object) [
                'cmid' => 12, 'questionbankentryid' => 40, 'linked' => 1, 'exercise' => 'x: 1',
                'bridgestatus' => 'restored', 'bridgemessage' => '', 'timemodified' => 99,
            ],
            restored_content::question_row($data, 12, 40, 99)
        );
        $this->assertSame(0, restored_content::question_row((object) ['linked' => '0'], 12, 40, 99)->linked);
    }

    /**
     * The mapped entry wins; an unmapped one is kept only where its id means the same question.
     */
    public function test_entry_mapping(): void {
        $this->assertSame(40, restored_content::entry(40, 4, false, false));
        $this->assertSame(40, restored_content::entry(40, 4, true, true));
        // Duplicating on the same site: the question was not in the backup but is still here.
        $this->assertSame(4, restored_content::entry(0, 4, true, true));
        // Another site: id 4 there is some other question, or none.
        $this->assertNull(restored_content::entry(0, 4, false, true));
        $this->assertNull(restored_content::entry(0, 4, true, false));
        $this->assertNull(restored_content::entry(0, 0, true, true));
    }
}
