"""Grading as plain functions: build the sandbox job, run it, turn outcomes into a result."""

from __future__ import annotations

import json
import posixpath
import signal
import time

from grader import __version__
from grader.compare import outputs_match
from grader.exercise import (
    Exercise,
    TestCase,
    Visibility,
    discover_test_functions,
    safe_relative_path,
)
from grader.languages import LANGUAGES
from grader.results import GradingResult, RunStatus, TestResult, TestStatus
from grader.sandbox import ProcessOutcome, Sandbox, SandboxJob, SandboxLimits, Step
from grader.text import excerpt, safe_text

MAX_SUBMISSION_FILES = 50
MAX_SUBMISSION_BYTES = 1024 * 1024
REPORT_FILE = ".grader-report.jsonl"
SOURCE_SUFFIX = {"python": ".py", "c": ".c"}


class SubmissionRejected(ValueError):
    """Files that cannot be graded at all (wrong names, too large): the student is told why."""


def check_submission(exercise: Exercise, files: dict[str, bytes]) -> dict[str, bytes]:
    """Validate and normalise submitted files; pick the entrypoint if it was misnamed."""
    if not files:
        raise SubmissionRejected("the submission has no files")
    if len(files) > MAX_SUBMISSION_FILES:
        raise SubmissionRejected(f"at most {MAX_SUBMISSION_FILES} files may be submitted")
    if sum(len(c) for c in files.values()) > MAX_SUBMISSION_BYTES:
        raise SubmissionRejected(f"the files exceed {MAX_SUBMISSION_BYTES // 1024} KiB in total")
    clean: dict[str, bytes] = {}
    for name, content in files.items():
        try:
            clean[safe_relative_path(name)] = content
        except ValueError as exc:
            raise SubmissionRejected(f"file name {name!r}: {exc}") from None
    entry = exercise.spec.entrypoint
    if entry not in clean:
        suffix = SOURCE_SUFFIX[exercise.language]
        sources = [n for n in clean if n.endswith(suffix)]
        if len(sources) != 1:
            raise SubmissionRejected(f"the submission must contain {entry}")
        clean[entry] = clean.pop(sources[0])
    return clean


def build_job(exercise: Exercise, submission: dict[str, bytes]) -> SandboxJob:
    """The sandbox job for one submission: files, the compile step and every test."""
    spec, limits = exercise.spec, exercise.spec.limits
    profile = LANGUAGES[spec.language]
    files = dict(submission)
    for name in spec.files:  # the teacher's support files win over same-named student files
        files[name] = exercise.files[name]
    sources = sorted(n for n in submission if n.endswith(SOURCE_SUFFIX[spec.language]))
    argv = profile.compile_argv(spec.entrypoint, sources, spec.compile_flags, spec.link_flags)
    compile_step = Step(id="compile", argv=argv, time_s=limits.compile_time_s) if argv else None
    if exercise.is_unittest:
        assert spec.unittest is not None
        files[spec.unittest] = exercise.files[spec.unittest]
        tests = [Step(
            id="pytest",
            argv=["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                  "-p", "grader_pytest_report", "-o", "addopts=", "--rootdir=.", spec.unittest],
            time_s=limits.total_time_s,
            env={"PYTHONPATH": "/opt/grader", "GRADER_PYTEST_REPORT": REPORT_FILE},
            read_back=REPORT_FILE,
        )]
    else:
        tests = [Step(
            id=str(index),
            argv=profile.run_argv(spec.entrypoint, test.args),
            time_s=test.time_s or limits.time_s,
            stdin=exercise.stdin(test),
            files={target: exercise.files[source] for target, source in test.files.items()},
        ) for index, test in enumerate(exercise.io_tests)]
    return SandboxJob(
        language=spec.language,
        files=files,
        compile=compile_step,
        tests=tests,
        limits=SandboxLimits(
            memory_mb=limits.memory_mb,
            processes=limits.processes,
            output_bytes=limits.output_kb * 1024,
            file_size_bytes=limits.file_size_kb * 1024,
            total_time_s=limits.total_time_s,
        ),
    )


def grade(exercise: Exercise, files: dict[str, bytes], sandbox: Sandbox) -> GradingResult:
    """Grade submitted files against an exercise in `sandbox`."""
    started = time.monotonic()
    try:
        submission = check_submission(exercise, files)
    except SubmissionRejected as exc:
        return _rejected(exercise, str(exc))
    job = build_job(exercise, submission)
    outcome = sandbox.run(job)
    elapsed = time.monotonic() - started
    compiled = outcome.compile
    if compiled is not None and (compiled.exit_code != 0 or compiled.timed_out):
        return _compile_error(exercise, compiled, outcome.image_digest, elapsed)
    if exercise.is_unittest:
        tests = _score_unittests(exercise, outcome.tests[0])
    else:
        tests = [_score_io(exercise, test, result)
                 for test, result in zip(exercise.io_tests, outcome.tests, strict=True)]
    score = sum(t.score for t in tests)
    max_score = sum(t.max_score for t in tests)
    passed = all(t.status is TestStatus.PASSED for t in tests)
    return GradingResult(
        status=RunStatus.PASSED if passed else RunStatus.FAILED,
        score=score,
        max_score=max_score,
        language=exercise.language,
        tests=tests,
        compile_output=_compile_output(compiled),
        message=outcome.error or "",
        total_time_s=round(elapsed, 3),
        image_digest=outcome.image_digest,
        grader_version=__version__,
    )


def max_score(exercise: Exercise) -> float:
    """The points an exercise is worth."""
    if exercise.is_unittest:
        return sum(_unit_points(exercise).values())
    return sum(t.points for t in exercise.io_tests)


def _compile_output(compiled: ProcessOutcome | None) -> str:
    if compiled is None:
        return ""
    return safe_text(compiled.stdout + compiled.stderr, 8000)


def _rejected(exercise: Exercise, why: str) -> GradingResult:
    tests = [TestResult(name=name, status=TestStatus.NOT_RUN, score=0, max_score=points,
                        visibility=visibility, message=why)
             for name, points, visibility in _test_table(exercise)]
    return GradingResult(
        status=RunStatus.ERROR, score=0, max_score=max_score(exercise),
        language=exercise.language, tests=tests, message=why, total_time_s=0,
        image_digest="", grader_version=__version__,
    )


def _compile_error(exercise: Exercise, compiled: ProcessOutcome, image: str,
                   elapsed: float) -> GradingResult:
    why = "compilation timed out" if compiled.timed_out else "the program did not compile"
    tests = [TestResult(name=name, status=TestStatus.COMPILE_ERROR, score=0, max_score=points,
                        visibility=visibility, message=why)
             for name, points, visibility in _test_table(exercise)]
    return GradingResult(
        status=RunStatus.COMPILE_ERROR, score=0, max_score=max_score(exercise),
        language=exercise.language, tests=tests, compile_output=_compile_output(compiled),
        message=why, total_time_s=round(elapsed, 3), image_digest=image,
        grader_version=__version__,
    )


def _test_table(exercise: Exercise) -> list[tuple[str, float, Visibility]]:
    if exercise.is_unittest:
        visibility = {t.name: t.visibility for t in exercise.unit_tests}
        return [(name, points, visibility.get(name, Visibility.VISIBLE))
                for name, points in _unit_points(exercise).items()]
    return [(t.name, t.points, t.visibility) for t in exercise.io_tests]


def _is_memory(outcome: ProcessOutcome, memory_mb: int) -> bool:
    if b"MemoryError" in outcome.stderr[-4000:]:
        return True
    if outcome.signal == signal.SIGKILL:  # not ours (no timeout): the OOM killer
        return True
    near_limit = (outcome.max_rss_kb or 0) >= memory_mb * 1024 * 0.85
    return near_limit and (outcome.exit_code != 0 or outcome.signal is not None)


def _status_of(outcome: ProcessOutcome, memory_mb: int) -> tuple[TestStatus | None, str]:
    """The status a process's ending forces, before looking at its output."""
    if outcome.skipped and not outcome.timed_out:
        return TestStatus.NOT_RUN, outcome.skipped
    if outcome.timed_out or outcome.signal in (signal.SIGXCPU,):
        return TestStatus.TIMEOUT, "time limit exceeded"
    if outcome.output_exceeded:
        return TestStatus.OUTPUT_LIMIT, "output limit exceeded"
    if _is_memory(outcome, memory_mb):
        return TestStatus.MEMORY, "memory limit exceeded"
    if outcome.signal == signal.SIGXFSZ:
        return TestStatus.RUNTIME_ERROR, "file size limit exceeded"
    if outcome.signal is not None:
        return TestStatus.RUNTIME_ERROR, f"killed by signal {_signal_name(outcome.signal)}"
    return None, ""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _score_io(exercise: Exercise, test: TestCase, outcome: ProcessOutcome) -> TestResult:
    limits = exercise.spec.limits
    base = {"name": test.name, "max_score": test.points, "visibility": test.visibility,
            "time_s": round(outcome.wall_s, 3) if not outcome.skipped else None}
    actual = safe_text(outcome.stdout)
    stderr = excerpt(safe_text(outcome.stderr[-4000:])) or None
    status, message = _status_of(outcome, limits.memory_mb)
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
    if len(got) < len(want):
        return f"output has {len(got)} lines, expected {len(want)}"
    if len(got) > len(want):
        return f"output has {len(got)} lines, expected {len(want)}"
    return "output differs from the expected output"


def _unit_points(exercise: Exercise) -> dict[str, float]:
    assert exercise.spec.unittest is not None
    names = discover_test_functions(exercise.files[exercise.spec.unittest],
                                    exercise.spec.unittest)
    points = {t.name: t.points for t in exercise.unit_tests}
    return {name: points.get(name, 1.0) for name in names}


def _function_of(nodeid: str) -> str:
    parts = nodeid.split("::")[1:]
    if parts:
        parts[-1] = parts[-1].split("[", 1)[0]
    return "::".join(parts)


def _score_unittests(exercise: Exercise, outcome: ProcessOutcome) -> list[TestResult]:
    limits = exercise.spec.limits
    reports: dict[str, list[dict[str, object]]] = {}
    collect_error = ""
    for line in (outcome.read_back or b"").decode("utf-8", "replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("nodeid"), str):
            continue
        if entry.get("outcome") == "collect_error":
            collect_error = str(entry.get("message", ""))
            continue
        reports.setdefault(_function_of(posixpath.normpath(entry["nodeid"])), []).append(entry)
    forced, forced_message = _status_of(outcome, limits.memory_mb)
    results = []
    for name, points, visibility in _test_table(exercise):
        base = {"name": name, "max_score": points, "visibility": visibility}
        entries = reports.get(name)
        if not entries:
            status = forced or TestStatus.RUNTIME_ERROR
            message = forced_message or (
                "the tests could not load the submission" if collect_error else "test did not run"
            )
            results.append(TestResult(status=status, score=0, message=message,
                                      stderr=excerpt(collect_error or safe_text(outcome.stdout))
                                      or None, **base))
            continue
        failures = [e for e in entries if e.get("outcome") != "passed"]
        duration = round(sum(float(str(e.get("duration", 0))) for e in entries), 3)
        if failures:
            detail = excerpt(safe_text(str(failures[0].get("message", ""))))
            results.append(TestResult(status=TestStatus.FAILED, score=0, time_s=duration,
                                      message=f"{len(failures)} of {len(entries)} cases failed",
                                      actual=detail or None, **base))
        else:
            results.append(TestResult(status=TestStatus.PASSED, score=points, time_s=duration,
                                      **base))
    return results
