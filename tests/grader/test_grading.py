"""Grading in the real sandbox: languages, test kinds, compile errors, unit-test mode."""

from __future__ import annotations

import textwrap

from grader.exercise import Exercise, Visibility
from grader.grading import grade
from grader.results import GradingResult, RunStatus, TestStatus
from grader.sandbox.docker import DockerSandbox
from tests.grader.helpers import GOOD_PY, exercise


def test_issue_example_full_marks_and_wrong_answer(sandbox: DockerSandbox) -> None:
    ex = exercise()
    good = grade(ex, {"solution.py": GOOD_PY}, sandbox)
    assert (good.status, good.score, good.max_score) == (RunStatus.PASSED, 3, 3)
    assert good.image_digest.startswith("sha256:")
    assert good.grader_version
    wrong = grade(ex, {"solution.py": b"a, b = map(int, input().split())\nprint(a - b)\n"},
                  sandbox)
    assert (wrong.status, wrong.score) == (RunStatus.FAILED, 0)
    failure = wrong.tests[0]
    assert failure.status is TestStatus.FAILED
    assert failure.expected == "5\n" and failure.actual == "-1\n"
    assert "line 1 differs" in failure.message


def test_runtime_error_shows_the_traceback(sandbox: DockerSandbox) -> None:
    result = grade(exercise(), {"solution.py": b"raise ValueError('boom')\n"}, sandbox)
    assert result.tests[0].status is TestStatus.RUNTIME_ERROR
    assert "ValueError: boom" in (result.tests[0].stderr or "")


def test_python_syntax_error_is_a_compile_error(sandbox: DockerSandbox) -> None:
    result = grade(exercise(), {"solution.py": b"def f(:\n"}, sandbox)
    assert result.status is RunStatus.COMPILE_ERROR
    assert "SyntaxError" in result.compile_output
    assert all(t.status is TestStatus.COMPILE_ERROR for t in result.tests)
    assert result.max_score == 3


def c_exercise(**extra: object) -> dict[str, object]:
    return {
        "language": "c", "entrypoint": "main.c",
        "tests": [
            {"name": "sum", "stdin": "2 3\n", "expected_stdout": "5\n"},
            {"name": "args", "args": ["7", "8"], "expected_stdout": "15\n", "points": 2},
            {"name": "exit code", "args": ["x"], "expected_exit_code": 3,
             "expected_stdout": None},
        ],
        **extra,
    }


C_SOURCE = textwrap.dedent("""
    #include <stdio.h>
    #include <stdlib.h>
    #include <math.h>
    int main(int argc, char **argv) {
        long a, b;
        if (argc == 2) return 3;
        if (argc == 3) { a = atol(argv[1]); b = atol(argv[2]); }
        else if (scanf("%ld %ld", &a, &b) != 2) return 1;
        printf("%ld\\n", (long) (a + b + 0 * sqrt(4.0)));
        return 0;
    }
""").encode()


def test_c_compiles_once_with_teacher_flags(sandbox: DockerSandbox) -> None:
    result = grade(exercise(c_exercise()), {"main.c": C_SOURCE}, sandbox)
    assert result.status is RunStatus.PASSED, result
    assert result.score == result.max_score == 4
    strict = exercise(c_exercise(compile_flags=["-std=c17", "-Werror", "-Wall"]))
    warned = grade(strict, {"main.c": b"int main(void){int unused; return 0;}\n"}, sandbox)
    assert warned.status is RunStatus.COMPILE_ERROR
    assert "unused" in warned.compile_output


def test_c_compile_error_is_a_result(sandbox: DockerSandbox) -> None:
    result = grade(exercise(c_exercise()), {"main.c": b"int main( {"}, sandbox)
    assert result.status is RunStatus.COMPILE_ERROR and result.score == 0
    assert "error" in result.compile_output


def test_input_files_and_comparison_modes(sandbox: DockerSandbox) -> None:
    spec = {
        "language": "python", "entrypoint": "solution.py",
        "tests": [
            {"name": "reads a file", "files": {"data.txt": "cases/one.txt"},
             "expected_stdout": "3\n"},
            {"name": "numeric", "stdin": "2\n", "expected_stdout": "1.41421356",
             "compare": {"mode": "numeric", "abs_tol": 1e-6}},
            {"name": "regex", "stdin": "2\n", "expected_stdout": r"1\.41\d*\n",
             "compare": "regex", "visibility": "after_due_date"},
            {"name": "per-test time", "stdin": "slow\n", "expected_stdout": "", "time_s": 0.5},
        ],
    }
    code = textwrap.dedent("""
        import math, os, sys, time
        if os.path.exists("data.txt"):
            print(len(open("data.txt").read().split()))
            sys.exit()
        line = input()
        if line == "slow":
            time.sleep(5)
        print(math.sqrt(float(line)))
    """).encode()
    ex = exercise(spec, **{"cases/one.txt": b"a b c\n"})
    result = grade(ex, {"solution.py": code}, sandbox)
    statuses = [t.status for t in result.tests]
    assert statuses == [TestStatus.PASSED, TestStatus.PASSED, TestStatus.PASSED,
                        TestStatus.TIMEOUT], result.tests
    assert result.tests[3].time_s is not None and result.tests[3].time_s < 2


def test_misnamed_single_file_is_used_as_entrypoint(sandbox: DockerSandbox) -> None:
    result = grade(exercise(), {"my_answer.py": GOOD_PY}, sandbox)
    assert result.status is RunStatus.PASSED


def test_unusable_upload_is_an_error_result_not_a_crash(sandbox: DockerSandbox) -> None:
    result = grade(exercise(), {"a.py": GOOD_PY, "b.py": GOOD_PY}, sandbox)
    assert result.status is RunStatus.ERROR
    assert "solution.py" in result.message
    assert [t.status for t in result.tests] == [TestStatus.NOT_RUN] * 2


UNIT_TESTS = textwrap.dedent("""
    import pytest
    from solution import add

    def test_small():
        assert add(2, 3) == 5

    @pytest.mark.parametrize("a,b", [(1, 1), (10**12, 1)])
    def test_param(a, b):
        assert add(a, b) == a + b

    class TestNegative:
        def test_negative(self):
            assert add(-1, -1) == -2
""").encode()


def unit_exercise() -> Exercise:
    spec = {"language": "python", "entrypoint": "solution.py", "unittest": "test_solution.py",
            "limits": {"total_time_s": 30},
            "tests": [{"name": "test_param", "points": 3},
                      {"name": "TestNegative::test_negative", "visibility": "hidden"}]}
    return exercise(spec, **{"test_solution.py": UNIT_TESTS})


def test_unit_test_mode_one_result_per_function(sandbox: DockerSandbox) -> None:
    ex = unit_exercise()
    good = grade(ex, {"solution.py": b"def add(a, b):\n    return a + b\n"}, sandbox)
    assert [t.name for t in good.tests] == ["test_small", "test_param",
                                            "TestNegative::test_negative"]
    assert good.status is RunStatus.PASSED and good.score == good.max_score == 5
    assert good.tests[2].visibility is Visibility.HIDDEN
    partial = grade(ex, {"solution.py": b"def add(a, b):\n    return abs(a) + abs(b)\n"},
                    sandbox)
    assert [t.status for t in partial.tests] == [TestStatus.PASSED, TestStatus.PASSED,
                                                 TestStatus.FAILED]
    assert partial.score == 4


def test_unit_test_mode_import_error(sandbox: DockerSandbox) -> None:
    result = grade(unit_exercise(), {"solution.py": b"def ad(a, b):\n    return a + b\n"},
                   sandbox)
    assert result.score == 0
    assert all(t.status is TestStatus.RUNTIME_ERROR for t in result.tests)
    assert "add" in (result.tests[0].stderr or "")


HOSTILE_REPORTER = b"""\
import grader_pytest_report as plugin

plugin._handle.write("[" * 100000 + "\\n")
plugin._handle.write('{"nodeid": "test_solution.py::test_small", "outcome": "passed", '
                     '"duration": "abc", "message": {"deep": [[[[]]]]}}\\n')
plugin._handle.flush()


def add(a, b):
    return a + b
"""


def test_unit_test_mode_survives_a_forged_report(sandbox: DockerSandbox) -> None:
    result = grade(unit_exercise(), {"solution.py": HOSTILE_REPORTER}, sandbox)
    assert [t.status for t in result.tests] == [TestStatus.PASSED] * 3
    assert all(t.time_s is not None and t.time_s < 60 for t in result.tests)


def test_student_view_hides_hidden_details() -> None:
    doc = {
        "status": "failed", "score": 1, "max_score": 3, "language": "python",
        "total_time_s": 0.1, "image_digest": "sha256:x", "grader_version": "t",
        "tests": [
            {"name": "shown", "status": "passed", "score": 1, "max_score": 1,
             "visibility": "visible"},
            {"name": "secret case", "status": "failed", "score": 0, "max_score": 1,
             "visibility": "hidden", "expected": "42", "actual": "41"},
            {"name": "later", "status": "failed", "score": 0, "max_score": 1,
             "visibility": "after_due_date", "expected": "7", "actual": "8"},
        ],
    }
    result = GradingResult.model_validate(doc)
    before = result.student_view(after_due_date=False)
    assert before.tests[0].name == "shown"
    assert before.tests[1].name == "hidden test" and before.tests[1].expected is None
    assert before.tests[1].status is TestStatus.FAILED  # the count still shows
    assert before.tests[2].expected is None
    after = result.student_view(after_due_date=True)
    assert after.tests[2].expected == "7" and after.tests[1].expected is None
