"""The one result document: what a grading run produced, for the API, Moodle and teachers.

Modelled on Gradescope's results.json. `schema/result.schema.json` is generated from these
models (`grader schema`) and checked against them by the tests.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from grader.exercise.models import Visibility

SCHEMA_VERSION = 1


class TestStatus(StrEnum):
    __test__ = False  # a status enum, not a pytest class

    PASSED = "passed"
    FAILED = "failed"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    RUNTIME_ERROR = "runtime_error"
    COMPILE_ERROR = "compile_error"
    NOT_RUN = "not_run"


class RunStatus(StrEnum):
    PASSED = "passed"              # every test passed
    FAILED = "failed"              # ran, some tests did not pass
    COMPILE_ERROR = "compile_error"
    ERROR = "error"                # the submission could not be run (broken upload, sandbox)


class TestResult(BaseModel):
    __test__ = False

    model_config = ConfigDict(extra="forbid")

    name: str
    status: TestStatus
    score: float
    max_score: float
    visibility: Visibility
    time_s: float | None = Field(default=None, description="Wall-clock seconds of this test.")
    message: str = Field(default="", description="What went wrong, for the student.")
    expected: str | None = Field(default=None, description="Excerpt of the expected output.")
    actual: str | None = Field(default=None, description="Excerpt of the program's output.")
    stderr: str | None = Field(default=None, description="Excerpt of the error output.")


class GradingResult(BaseModel):
    """A whole grading run."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    status: RunStatus
    score: float
    max_score: float
    language: str
    tests: list[TestResult]
    compile_output: str = ""
    message: str = ""
    total_time_s: float
    image_digest: str
    grader_version: str

    def student_view(self, after_due_date: bool) -> GradingResult:
        """What a student may see: hidden tests keep their status and points, lose details."""
        tests = []
        for test in self.tests:
            shown = test.visibility is Visibility.VISIBLE or (
                test.visibility is Visibility.AFTER_DUE_DATE and after_due_date
            )
            tests.append(test if shown else test.model_copy(update={
                "name": "hidden test", "message": "", "expected": None, "actual": None,
                "stderr": None,
            }))
        return self.model_copy(update={"tests": tests})
