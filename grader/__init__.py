"""The grading engine: load an exercise, run a submission in a hardened sandbox, get a result.

A library in the shape of epicbox: ``grade(exercise, files, sandbox) -> GradingResult``, with
no queue, no database and no application settings. The bridge's workers embed it; the
``grader`` command line and the benchmark use it directly. It imports nothing of ``bridge``.
"""

__version__ = "0.1.0"

from grader.config import GraderSettings
from grader.exercise import (
    SPEC_FILE,
    Exercise,
    ExerciseError,
    Visibility,
    load_exercise,
    parse_exercise,
)
from grader.grading import grade, max_score
from grader.images import ImageMissing
from grader.metrics import SandboxFailure, declare_sandbox_failures, sandbox_failure
from grader.results import GradingResult, RunStatus, TestResult, TestStatus
from grader.sandbox import Sandbox, SandboxError
from grader.sandbox.docker import DockerSandbox, reap_orphans
from grader.sandbox_job import SubmissionRejected, check_submission

__all__ = [
    "SPEC_FILE",
    "DockerSandbox",
    "Exercise",
    "ExerciseError",
    "GraderSettings",
    "GradingResult",
    "ImageMissing",
    "RunStatus",
    "Sandbox",
    "SandboxError",
    "SandboxFailure",
    "SubmissionRejected",
    "TestResult",
    "TestStatus",
    "Visibility",
    "__version__",
    "check_submission",
    "declare_sandbox_failures",
    "grade",
    "load_exercise",
    "max_score",
    "parse_exercise",
    "reap_orphans",
    "sandbox_failure",
]
