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
 * Tests for {@see grading_state}: the bridge's answer as the page shows it.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\grading_state
 */
final class grading_state_test extends \PHPUnit\Framework\TestCase {
    /**
     * States on the way keep the page asking every two seconds.
     */
    public function test_states_on_the_way(): void {
        foreach (['unknown', 'queued', 'running'] as $state) {
            $shown = grading_state::from_bridge(['state' => $state, 'final' => false]);
            $this->assertSame([$state, false, 'state_' . $state, 2], [$shown['state'], $shown['final'],
                $shown['stringid'], $shown['pollafter']]);
            $this->assertNull($shown['score']);
        }
    }

    /**
     * A teacher's hand grade kept: the bridge's own grade is not said to be in the gradebook.
     */
    public function test_graded_with_the_teachers_grade_kept(): void {
        $kept = grading_state::from_bridge(['state' => 'graded', 'reason' => 'teacher_override', 'score' => 1,
            'max_score' => 7.0, 'grade' => 14.29, 'in_gradebook' => true, 'final' => true]);
        $this->assertSame(
            ['graded', true, 'state_graded_teacher', 1.0, 7.0, null, 'teacher_override'],
            [$kept['state'], $kept['final'], $kept['stringid'], $kept['score'], $kept['maxscore'], $kept['grade'],
            $kept['reason']]
        );
    }

    /**
     * A score before the gradebook has it: shown, and asked again slowly until it is there.
     */
    public function test_graded_then_in_gradebook(): void {
        $pending = grading_state::from_bridge(['state' => 'graded', 'score' => 1, 'max_score' => 2.0,
            'grade' => null, 'in_gradebook' => false]);
        $this->assertSame(
            ['graded', false, 'state_graded_pending', 10, 1.0, 2.0, null],
            [$pending['state'], $pending['final'], $pending['stringid'], $pending['pollafter'], $pending['score'],
            $pending['maxscore'],
            $pending['grade']]
        );
        $done = grading_state::from_bridge(['state' => 'graded', 'score' => 2.0, 'max_score' => 2.0,
            'grade' => 100.0, 'in_gradebook' => true, 'final' => true]);
        $this->assertSame(
            ['graded', true, 'state_graded', 0, 100.0, true],
            [$done['state'], $done['final'], $done['stringid'], $done['pollafter'], $done['grade'], $done['ingradebook']]
        );
    }

    /**
     * A failure is final, keeps its reason, error and id (an id of another shape is dropped).
     */
    public function test_failed(): void {
        $id = str_repeat('ab', 32);
        $shown = grading_state::from_bridge(['state' => 'failed', 'reason' => 'grading_failed',
            'detail' => 'sandbox failed', 'failure_id' => $id, 'score' => 3.0]);
        $this->assertSame(
            ['failed', true, 0, 'grading_failed', 'sandbox failed', $id, null],
            [$shown['state'], $shown['final'], $shown['pollafter'], $shown['reason'], $shown['detail'],
            $shown['failureid'],
            $shown['score']]
        );
        $this->assertSame('', grading_state::from_bridge(['state' => 'failed', 'failure_id' => '../x'])['failureid']);
    }

    /**
     * No answer, or a state this version does not know: "unavailable", asked again slowly.
     */
    public function test_unavailable(): void {
        foreach ([null, ['state' => 'exploded'], []] as $answer) {
            $shown = grading_state::from_bridge($answer);
            $this->assertSame(['unavailable', false, 10], [$shown['state'], $shown['final'], $shown['pollafter']]);
        }
        $this->assertTrue(grading_state::not_autograded()['final']);
    }

    /**
     * Keys name the kind by module, one per user, and an attempt only when asked.
     */
    public function test_keys(): void {
        $this->assertSame([['kind' => 'assign_submission', 'cmid' => 4, 'user_id' => 5],
            ['kind' => 'assign_submission', 'cmid' => 4, 'user_id' => 6]], grading_state::keys('assign', 4, [5, '6', 5]));
        $this->assertSame(
            [['kind' => 'quiz_attempt', 'cmid' => 7, 'user_id' => 5, 'attempt_number' => 2]],
            grading_state::keys('quiz', 7, [5], 2)
        );
        $this->expectException(\InvalidArgumentException::class);
        grading_state::keys('forum', 1, [5]);
    }

    /**
     * More than 100 users are refused (the bridge's bound).
     */
    public function test_keys_bounded(): void {
        $this->expectException(\InvalidArgumentException::class);
        grading_state::keys('assign', 1, range(1, 101));
    }
}
