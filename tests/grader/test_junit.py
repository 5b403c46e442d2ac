"""Java's unit-test mode: the teacher's JUnit 5 methods found, run, and each one scored."""

from __future__ import annotations

import textwrap

import pytest

from grader.exercise import Exercise, ExerciseError, Visibility
from grader.exercise.junit import discover_junit_tests
from grader.grading import grade, max_score
from grader.junit_report import read_junit_report
from grader.results import RunStatus, TestStatus
from grader.sandbox.docker import DockerSandbox
from tests.grader.helpers import exercise, peak_memory

TESTS = textwrap.dedent("""
    import org.junit.jupiter.api.*;
    import org.junit.jupiter.params.ParameterizedTest;
    import org.junit.jupiter.params.provider.CsvSource;
    import static org.junit.jupiter.api.Assertions.*;

    class MainTest {
        // @Test void commentedOut() {}
        String decoy = "@Test void inAString() {}";

        @Test
        void addsSmall() { assertEquals(5, Main.add(2, 3)); }

        @Test @DisplayName("large (really)")
        public void addsLarge() { assertEquals(1000000000001L, Main.add(1000000000000L, 1)); }

        @ParameterizedTest
        @CsvSource({"1, 1, 2", "0, 0, 0", "-1, 1, 0"})
        void table(long a, long b, long sum) { assertEquals(sum, Main.add(a, b)); }

        @Test
        void notForever() { if (Main.add(0, 0) != 0) for (;;) { } }

        void helper() { }
    }
""").encode()
GOOD = b"public class Main { static long add(long a, long b) { return a + b; } }\n"
WRONG = (b"public class Main { static long add(long a, long b)"
         b" { return a == 0 && b == 0 ? 1 : a - b; } }\n")


def junit_exercise(tests: bytes = TESTS, **limits: float) -> Exercise:
    spec = {"language": "java", "entrypoint": "Main.java", "unittest": "MainTest.java",
            "limits": {"time_s": 2, **limits},
            "tests": [{"name": "addsLarge", "points": 3},
                      {"name": "table", "visibility": "hidden"}]}
    return exercise(spec, **{"MainTest.java": tests})


def test_test_methods_are_found_and_comments_and_strings_ignored() -> None:
    assert discover_junit_tests(TESTS) == ["addsSmall", "addsLarge", "table", "notForever"]


def test_a_name_that_is_no_test_method_is_refused() -> None:
    spec = {"language": "java", "entrypoint": "Main.java", "unittest": "MainTest.java",
            "tests": [{"name": "helper"}]}
    with pytest.raises(ExerciseError) as caught:
        exercise(spec, **{"MainTest.java": TESTS})
    assert "'helper' is not a test function" in str(caught.value)
    with pytest.raises(ExerciseError) as caught:
        exercise({**spec, "tests": []}, **{"MainTest.java": b"class MainTest { }\n"})
    assert "no test methods (@Test) found" in str(caught.value)


def test_unbalanced_annotations_are_read_in_linear_time() -> None:
    with peak_memory() as peak:
        assert discover_junit_tests(b"@Test(" * 200_000) == []
    assert peak[0] < 200 * 1024 * 1024


def test_points_come_from_the_spec_and_default_to_one() -> None:
    assert max_score(junit_exercise()) == 1 + 3 + 1 + 1


def test_a_right_solution_earns_every_point(sandbox: DockerSandbox) -> None:
    result = grade(junit_exercise(), {"Main.java": GOOD}, sandbox)
    assert (result.status, result.score, result.max_score) == (RunStatus.PASSED, 6, 6), result
    assert [t.name for t in result.tests] == ["addsSmall", "addsLarge", "table", "notForever"]
    assert result.tests[2].visibility is Visibility.HIDDEN


def test_each_method_fails_alone_and_says_why(sandbox: DockerSandbox) -> None:
    result = grade(junit_exercise(), {"Main.java": WRONG}, sandbox)
    assert result.status is RunStatus.FAILED and result.score == 0
    by_name = {t.name: t for t in result.tests}
    assert "expected: <5> but was: <-1>" in (by_name["addsSmall"].actual or "")
    assert "at org.junit" not in (by_name["addsSmall"].actual or "")  # only the tests' frames
    assert by_name["table"].message == "3 of 3 cases failed"
    # A method past the time limit fails on its own; the others were still run.
    assert "timed out after 2000 milliseconds" in (by_name["notForever"].actual or "")
    assert all(t.status is TestStatus.FAILED for t in result.tests)


def test_a_submission_the_tests_cannot_compile_against(sandbox: DockerSandbox) -> None:
    result = grade(junit_exercise(), {"Main.java": b"public class Main { }\n"},
                   sandbox)
    assert result.status is RunStatus.COMPILE_ERROR
    assert "cannot find symbol" in result.compile_output
    assert all(t.status is TestStatus.COMPILE_ERROR for t in result.tests)


def test_a_run_that_ends_the_jvm_scores_nothing(sandbox: DockerSandbox) -> None:
    code = (b"public class Main { static long add(long a, long b) {"
            b" Runtime.getRuntime().halt(0); return 0; } }\n")
    result = grade(junit_exercise(), {"Main.java": code}, sandbox)
    assert result.score == 0
    assert all(t.status is TestStatus.RUNTIME_ERROR for t in result.tests), result.tests


def test_a_forged_report_path_is_not_followed(sandbox: DockerSandbox) -> None:
    code = textwrap.dedent("""
        import java.nio.file.*;
        public class Main {
            static long add(long a, long b) {
                try {
                    Path report = Path.of("TEST-junit-jupiter.xml");
                    Files.deleteIfExists(report);
                    Files.createSymbolicLink(report, Path.of("/etc/passwd"));
                } catch (Exception e) { }
                return a + b;
            }
        }
    """).encode()
    result = grade(junit_exercise(), {"Main.java": code}, sandbox)
    assert "root:" not in result.model_dump_json()


CASE = '<testcase name="addsSmall()" classname="MainTest" time="0.01"/>'


@pytest.mark.parametrize("document", [
    # An entity bomb: the document type declaration ends the parse before any expansion.
    '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10 if i else "&a;" * 10}">'
              for i in range(9))
    + f']><testsuite>{CASE}<testcase name="&a8;()"/></testsuite>',
    "<a>" * 100_000 + CASE,  # deeper than any report
    f"<testsuite>{CASE}" + "<x/>" * 200_000,  # more elements than any report
    f"<testsuite>{CASE}<testcase name='broken",  # cut off
])
def test_hostile_reports_are_refused_cheaply(document: str) -> None:
    with peak_memory() as peak:
        report = read_junit_report(document.encode())
    assert peak[0] < 20 * 1024 * 1024
    assert set(report.entries) <= {"addsSmall"}
    assert "a8" not in report.entries and "aaaaaaaaaa" not in str(report.entries)


def test_a_report_maps_cases_to_methods() -> None:
    document = ("<testsuite>"
                '<testcase name="table(long, long, long)[1]" time="0.5"/>'
                '<testcase name="table(long, long, long)[2]" time="nan">'
                '<failure message="m">org.opentest4j.AssertionFailedError: no\n'
                "\tat org.junit.jupiter.api.Assertions.fail(Assertions.java:1)\n"
                "\tat MainTest.table(MainTest.java:12)\n</failure></testcase>"
                '<testcase name="skip()"><skipped/></testcase></testsuite>')
    report = read_junit_report(document.encode())
    first, second = report.entries["table"]
    assert first.passed and first.duration_s == 0.5
    assert not second.passed and second.duration_s == 0
    assert second.message == ("org.opentest4j.AssertionFailedError: no\n"
                              "\tat MainTest.table(MainTest.java:12)")
    assert report.entries["skip"][0].outcome == "skipped"
