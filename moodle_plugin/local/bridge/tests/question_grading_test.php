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
 * Tests for {@see question_grading}: the step history decides who marked last and what a grade does.
 *
 * @package    local_bridge
 * @category   test
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 * @covers     \local_bridge\question_grading
 */
final class question_grading_test extends \PHPUnit\Framework\TestCase {
    /** @var int the bridge's service user */
    private const BRIDGE = 3;
    /** @var int a teacher */
    private const TEACHER = 2;
    /** @var int the student */
    private const STUDENT = 5;

    /**
     * One step as steps_of() builds it.
     *
     * @param int $userid actor
     * @param string $state question state after the step
     * @param string|null $mark -mark behaviour variable
     * @param string|null $comment -comment behaviour variable
     * @param string $maxmark -maxmark behaviour variable
     * @return array
     */
    private static function step(
        int $userid,
        string $state,
        ?string $mark = null,
        ?string $comment = null,
        string $maxmark = '10'
    ): array {
        return [
            'userid' => $userid, 'timecreated' => 1000 + $userid, 'state' => $state, 'comment' => $comment,
            'commentformat' => $comment === null ? null : '1', 'mark' => $mark,
            'maxmark' => $mark === null ? null : $maxmark,
        ];
    }

    /**
     * Start, save, finish: an essay waiting for a grade (sequence check 3).
     *
     * @return array[]
     */
    private static function submitted(): array {
        return [self::step(self::STUDENT, 'todo'), self::step(self::STUDENT, 'complete'),
            self::step(self::STUDENT, 'needsgrading')];
    }

    /**
     * Nobody graded by hand yet.
     */
    public function test_never_graded(): void {
        $this->assertSame(
            ['gradedby' => 0, 'gradedat' => 0, 'gradedmark' => null],
            question_grading::last_manual_grade(self::submitted(), 10.0)
        );
    }

    /**
     * The last manual grade wins; its mark is rescaled when the maximum mark changed since.
     */
    public function test_last_manual_grade(): void {
        $steps = [...self::submitted(), self::step(self::BRIDGE, 'mangrpartial', '7', '<p>7/10</p>'),
            self::step(self::TEACHER, 'mangrpartial', '4', 'by hand', '5')];
        $last = question_grading::last_manual_grade($steps, 10.0);
        $this->assertSame(self::TEACHER, $last['gradedby']);
        $this->assertSame(1000 + self::TEACHER, $last['gradedat']);
        $this->assertEqualsWithDelta(8.0, $last['gradedmark'], 1e-9);
    }

    /**
     * A comment without a mark is a manual action with no mark.
     */
    public function test_comment_only(): void {
        $steps = [...self::submitted(), self::step(self::TEACHER, 'needsgrading', null, 'see me')];
        $this->assertSame(
            ['gradedby' => self::TEACHER, 'gradedat' => 1000 + self::TEACHER, 'gradedmark' => null],
            question_grading::last_manual_grade($steps, 10.0)
        );
    }

    /**
     * The cases the Moodle stand-in is checked against too (fixtures/question_grading_cases.json).
     *
     * @return array
     */
    public static function shared_cases(): array {
        $json = file_get_contents(__DIR__ . '/fixtures/question_grading_cases.json');
        $cases = [];
        foreach (json_decode($json, true, 32, JSON_THROW_ON_ERROR)['cases'] as $case) {
            $cases[$case['name']] = [$case];
        }
        return $cases;
    }

    /**
     * Each shared case gets its decision.
     *
     * @dataProvider shared_cases
     * @param array $case steps, the grade sent and the expected decision
     */
    public function test_shared_case(array $case): void {
        $this->assertSame($case['decision'], question_grading::decide(
            $case['steps'],
            $case['current'],
            $case['expected'],
            (float) $case['mark'],
            (float) $case['maxmark'],
            $case['comment'],
            $case['commentformat'],
            $case['userid']
        ));
    }

    /**
     * A first grade with the sequence check read is saved; without a check too.
     */
    public function test_save(): void {
        $this->assertSame(
            question_grading::SAVE,
            question_grading::decide(self::submitted(), 3, 3, 7.0, 10.0, 'c', 1, self::BRIDGE)
        );
        $this->assertSame(
            question_grading::SAVE,
            question_grading::decide(self::submitted(), 3, -1, 7.0, 10.0, 'c', 1, self::BRIDGE)
        );
    }

    /**
     * A sequence check from before someone else's step is refused.
     */
    public function test_stale(): void {
        $steps = [...self::submitted(), self::step(self::TEACHER, 'mangrright', '10', 'fine')];
        $this->assertSame(
            question_grading::STALE,
            question_grading::decide($steps, 4, 3, 7.0, 10.0, '<p>7/10</p>', 1, self::BRIDGE)
        );
    }

    /**
     * A teacher who gave exactly the bridge's mark and comment still made the bridge's read stale.
     */
    public function test_same_grade_by_someone_else_is_stale(): void {
        $steps = [...self::submitted(), self::step(self::TEACHER, 'mangrpartial', '7', '<p>7/10</p>')];
        $this->assertSame(
            question_grading::STALE,
            question_grading::decide($steps, 4, 3, 7.0, 10.0, '<p>7/10</p>', 1, self::BRIDGE)
        );
    }

    /**
     * The bridge's retry of its own last grade (first answer lost) changes nothing and is not stale.
     */
    public function test_repeat_is_unchanged(): void {
        $steps = [...self::submitted(), self::step(self::BRIDGE, 'mangrpartial', '7', '<p>7/10</p>')];
        $this->assertSame(
            question_grading::UNCHANGED,
            question_grading::decide($steps, 4, 3, 7.0, 10.0, '<p>7/10</p>', 1, self::BRIDGE)
        );
        $this->assertSame(
            question_grading::UNCHANGED,
            question_grading::decide($steps, 4, 4, 7.0000000001, 10.0, '<p>7/10</p>', 1, self::BRIDGE)
        );
    }

    /**
     * A different mark, comment or format from the bridge is a new grade (stale if the check is old).
     */
    public function test_changed_grade_is_not_a_repeat(): void {
        $steps = [...self::submitted(), self::step(self::BRIDGE, 'mangrpartial', '7', '<p>7/10</p>')];
        $this->assertSame(
            question_grading::SAVE,
            question_grading::decide($steps, 4, 4, 8.0, 10.0, '<p>7/10</p>', 1, self::BRIDGE)
        );
        $this->assertSame(
            question_grading::SAVE,
            question_grading::decide($steps, 4, 4, 7.0, 10.0, '<p>regraded</p>', 1, self::BRIDGE)
        );
        $this->assertSame(
            question_grading::SAVE,
            question_grading::decide($steps, 4, 4, 7.0, 10.0, '<p>7/10</p>', 2, self::BRIDGE)
        );
        $this->assertSame(
            question_grading::STALE,
            question_grading::decide($steps, 4, 3, 8.0, 10.0, '<p>7/10</p>', 1, self::BRIDGE)
        );
    }

    /**
     * A teacher's step after the bridge's grade makes the bridge's repeat stale.
     */
    public function test_repeat_after_teacher_is_stale(): void {
        $steps = [...self::submitted(), self::step(self::BRIDGE, 'mangrpartial', '7', 'c'),
            self::step(self::TEACHER, 'mangrright', '10', 'better')];
        $this->assertSame(
            question_grading::STALE,
            question_grading::decide($steps, 5, 4, 7.0, 10.0, 'c', 1, self::BRIDGE)
        );
    }

    /**
     * Marks between the question's fractions are accepted, others not.
     */
    public function test_mark_in_range(): void {
        $this->assertTrue(question_grading::mark_in_range(0.0, 10.0, 0.0, 1.0));
        $this->assertTrue(question_grading::mark_in_range(10.0, 10.0, 0.0, 1.0));
        $this->assertTrue(question_grading::mark_in_range(3.3333333, 10.0, 0.0, 1.0));
        $this->assertFalse(question_grading::mark_in_range(10.5, 10.0, 0.0, 1.0));
        $this->assertFalse(question_grading::mark_in_range(-1.0, 10.0, 0.0, 1.0));
        $this->assertFalse(question_grading::mark_in_range(1.0, 0.0, 0.0, 1.0), 'a question worth nothing');
        $this->assertFalse(question_grading::mark_in_range(NAN, 10.0, 0.0, 1.0));
        $this->assertFalse(question_grading::mark_in_range(INF, 10.0, 0.0, 1.0));
    }

    /**
     * steps_of() reads a question_attempt's steps and behaviour variables.
     */
    public function test_steps_of(): void {
        $step = new class {
            /** @var array behaviour variables */
            public array $vars = ['comment' => 'ok', 'commentformat' => 1, 'mark' => 7.5, 'maxmark' => 10];

            /**
             * Actor.
             *
             * @return int
             */
            public function get_user_id() {
                return 3;
            }

            /**
             * Time.
             *
             * @return int
             */
            public function get_timecreated() {
                return 99;
            }

            /**
             * State, as question_state's __toString gives it.
             *
             * @return string
             */
            public function get_state() {
                return 'mangrpartial';
            }

            /**
             * Whether a behaviour variable is set.
             *
             * @param string $name name
             * @return bool
             */
            public function has_behaviour_var($name) {
                return array_key_exists($name, $this->vars);
            }

            /**
             * A behaviour variable.
             *
             * @param string $name name
             * @return mixed
             */
            public function get_behaviour_var($name) {
                return $this->vars[$name];
            }
        };
        $qa = new class ($step) {
            /**
             * Constructor.
             *
             * @param object $step the one step
             */
            public function __construct(
                /** @var object the one step */
                private object $step
            ) {
            }

            /**
             * Steps.
             *
             * @return array
             */
            public function get_full_step_iterator() {
                return [$this->step];
            }
        };
        $this->assertSame([[
            'userid' => 3, 'timecreated' => 99, 'state' => 'mangrpartial', 'comment' => 'ok',
            'commentformat' => '1', 'mark' => '7.5', 'maxmark' => '10',
        ]], question_grading::steps_of($qa));
    }
}
