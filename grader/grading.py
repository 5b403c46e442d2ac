"""Grading as a plain function: check the files, run the job in a sandbox, assemble the result.

`sandbox_job` builds what runs, `scoring` turns each test's ending into a `TestResult`.
"""

from __future__ import annotations

import time

from grader import __version__
from grader.exercise import Exercise
from grader.results import GradingResult, RunStatus, TestResult, TestStatus
from grader.sandbox import ProcessOutcome, Sandbox
from grader.sandbox_job import SubmissionRejected, build_job, check_submission
from grader.scoring import score_io_test, score_unit_tests, table_of_tests, unit_points
from grader.untrusted_output import safe_text


def grade(exercise: Exercise, files: dict[str, bytes], sandbox: Sandbox) -> GradingResult:
    """Grade submitted files against an exercise in `sandbox`."""
    started = time.monotonic()
    try:
        submission = check_submission(exercise, files)
    except SubmissionRejected as exc:
        return _rejected(exercise, str(exc))
    outcome = sandbox.run(build_job(exercise, submission))
    elapsed = time.monotonic() - started
    compiled = outcome.compile
    if compiled is not None and (compiled.exit_code != 0 or compiled.timed_out):
        return _compile_error(exercise, compiled, outcome.image_digest, elapsed)
    if exercise.is_unittest:
        tests = score_unit_tests(exercise, outcome.tests[0])
    else:
        tests = [score_io_test(exercise, test, result)
                 for test, result in zip(exercise.io_tests, outcome.tests, strict=True)]
    passed = all(t.status is TestStatus.PASSED for t in tests)
    return GradingResult(
        status=RunStatus.PASSED if passed else RunStatus.FAILED,
        score=sum(t.score for t in tests),
        max_score=sum(t.max_score for t in tests),
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
        return sum(unit_points(exercise).values())
    return sum(t.points for t in exercise.io_tests)


def _compile_output(compiled: ProcessOutcome | None) -> str:
    if compiled is None:
        return ""
    return safe_text(compiled.stdout + compiled.stderr, 8000)


def _rejected(exercise: Exercise, why: str) -> GradingResult:
    tests = [TestResult(name=name, status=TestStatus.NOT_RUN, score=0, max_score=points,
                        visibility=visibility, message=why)
             for name, points, visibility in table_of_tests(exercise)]
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
             for name, points, visibility in table_of_tests(exercise)]
    return GradingResult(
        status=RunStatus.COMPILE_ERROR, score=0, max_score=max_score(exercise),
        language=exercise.language, tests=tests, compile_output=_compile_output(compiled),
        message=why, total_time_s=round(elapsed, 3), image_digest=image,
        grader_version=__version__,
    )
