"""Scoring: how each test ended in the sandbox, turned into a `TestResult` with safe excerpts."""

from __future__ import annotations

import signal

from grader.compare import outputs_match
from grader.exercise import Exercise, TestCase, Visibility, discover_unit_tests
from grader.junit_report import read_junit_report
from grader.languages import LANGUAGES
from grader.pytest_report import read_pytest_report
from grader.results import TestResult, TestStatus
from grader.sandbox import ProcessOutcome
from grader.untrusted_output import excerpt, safe_text


def unit_points(exercise: Exercise) -> dict[str, float]:
    """Points per test function of a unit-test exercise (1 unless the spec says otherwise)."""
    assert exercise.spec.unittest is not None
    names = discover_unit_tests(exercise.language, exercise.files[exercise.spec.unittest],
                                exercise.spec.unittest)
    points = {t.name: t.points for t in exercise.unit_tests}
    return {name: points.get(name, 1.0) for name in names}


def table_of_tests(exercise: Exercise) -> list[tuple[str, float, Visibility]]:
    """Every test of an exercise as (name, points, visibility), in order."""
    if exercise.is_unittest:
        visibility = {t.name: t.visibility for t in exercise.unit_tests}
        return [(name, points, visibility.get(name, Visibility.VISIBLE))
                for name, points in unit_points(exercise).items()]
    return [(t.name, t.points, t.visibility) for t in exercise.io_tests]



def _is_memory(outcome: ProcessOutcome, memory_mb: int, markers: tuple[bytes, ...]) -> bool:
    tail = outcome.stderr[-4000:]
    if any(marker in tail for marker in markers):
        return True
    if outcome.signal == signal.SIGKILL:  # not ours (no timeout): the OOM killer
        return True
    near_limit = (outcome.max_rss_kb or 0) >= memory_mb * 1024 * 0.85
    return near_limit and (outcome.exit_code != 0 or outcome.signal is not None)


def _status_of(outcome: ProcessOutcome, memory_mb: int,
               markers: tuple[bytes, ...]) -> tuple[TestStatus | None, str]:
    """The status a process's ending forces, before looking at its output."""
    if outcome.skipped and not outcome.timed_out:
        return TestStatus.NOT_RUN, outcome.skipped
    if outcome.timed_out or outcome.signal in (signal.SIGXCPU,):
        return TestStatus.TIMEOUT, "time limit exceeded"
    if outcome.output_exceeded:
        return TestStatus.OUTPUT_LIMIT, "output limit exceeded"
    if _is_memory(outcome, memory_mb, markers):
        return TestStatus.MEMORY, "memory limit exceeded"
    if outcome.signal == signal.SIGXFSZ:
        return TestStatus.RUNTIME_ERROR, "file size limit exceeded"
    if outcome.signal is not None:
        return TestStatus.RUNTIME_ERROR, f"killed by signal {_signal_name(outcome.signal)}"
    return None, ""


def _markers(exercise: Exercise) -> tuple[bytes, ...]:
    return LANGUAGES[exercise.language].memory_markers


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def score_io_test(exercise: Exercise, test: TestCase, outcome: ProcessOutcome) -> TestResult:
    """The result of one input/output test from its process outcome."""
    limits = exercise.spec.limits
    base = {"name": test.name, "max_score": test.points, "visibility": test.visibility,
            "time_s": round(outcome.wall_s, 3) if not outcome.skipped else None}
    actual = safe_text(outcome.stdout)
    stderr = excerpt(safe_text(outcome.stderr[-4000:])) or None
    status, message = _status_of(outcome, limits.memory_mb, _markers(exercise))
    if status is not None:
        return TestResult(status=status, score=0, message=message, stderr=stderr,
                          actual=excerpt(actual) or None, **base)
    expected = exercise.expected_stdout(test)
    want_code = test.expected_exit_code
    if want_code is not None and outcome.exit_code != want_code:
        crashed = want_code == 0
        return TestResult(
            status=TestStatus.RUNTIME_ERROR if crashed else TestStatus.FAILED, score=0,
            message=f"exit code {outcome.exit_code}, expected {want_code}",
            actual=excerpt(actual) or None, stderr=stderr, **base,
        )
    if expected is not None and not outputs_match(expected, actual, test.compare):
        return TestResult(status=TestStatus.FAILED, score=0,
                          message=_difference(expected, actual, test.compare.mode.value),
                          expected=excerpt(expected), actual=excerpt(actual), stderr=stderr,
                          **base)
    return TestResult(status=TestStatus.PASSED, score=test.points, **base)


def _difference(expected: str, actual: str, mode: str) -> str:
    if mode == "regex":
        return "output does not match the expected pattern"
    want, got = expected.splitlines(), actual.splitlines()
    for number, (w, g) in enumerate(zip(want, got, strict=False), start=1):
        if " ".join(w.split()) != " ".join(g.split()):
            return f"line {number} differs: expected {excerpt(w, 80)!r}, got {excerpt(g, 80)!r}"
    if len(got) != len(want):
        return f"output has {len(got)} lines, expected {len(want)}"
    return "output differs from the expected output"


def score_unit_tests(exercise: Exercise, outcome: ProcessOutcome) -> list[TestResult]:
    """One result per test function of the teacher's pytest file, from the run's report."""
    junit = LANGUAGES[exercise.language].unittest == "junit"
    report = (read_junit_report if junit else read_pytest_report)(outcome.read_back)
    forced, forced_message = _status_of(outcome, exercise.spec.limits.memory_mb,
                                        _markers(exercise))
    results = []
    for name, points, visibility in table_of_tests(exercise):
        base = {"name": name, "max_score": points, "visibility": visibility}
        entries = report.entries.get(name)
        if not entries:
            status = forced or TestStatus.RUNTIME_ERROR
            message = forced_message or ("the tests could not load the submission"
                                         if report.collect_error else "test did not run")
            detail = excerpt(safe_text(report.collect_error or outcome.stdout))
            results.append(TestResult(status=status, score=0, message=message,
                                      stderr=detail or None, **base))
            continue
        failures = [e for e in entries if not e.passed]
        duration = round(sum(e.duration_s for e in entries), 3)
        if failures:
            detail = excerpt(safe_text(failures[0].message))
            results.append(TestResult(status=TestStatus.FAILED, score=0, time_s=duration,
                                      message=f"{len(failures)} of {len(entries)} cases failed",
                                      actual=detail or None, **base))
        else:
            results.append(TestResult(status=TestStatus.PASSED, score=points, time_s=duration,
                                      **base))
    return results
