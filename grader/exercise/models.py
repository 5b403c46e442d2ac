"""What `exercise.yaml` may say: the spec, its tests and limits, and the loaded `Exercise`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

import regex
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grader.exercise.errors import quote
from grader.exercise.paths import PathRefused, SafePath, unique_paths
from grader.languages import LANGUAGES

# Enough for any grading scheme; above it a number is a mistake, not a grade.
MAX_POINTS = 10_000.0
JAVAC_RESERVED = frozenset({"-d", "-s", "-h", "-cp", "-classpath", "--class-path",
                            "-sourcepath", "--source-path", "-processorpath",
                            "--processor-path", "--module-path", "-p"})


class Visibility(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    AFTER_DUE_DATE = "after_due_date"


class CompareMode(StrEnum):
    EXACT = "exact"
    WHITESPACE = "whitespace"
    TOKENS = "tokens"
    NUMERIC = "numeric"
    REGEX = "regex"


class Strict(BaseModel):
    # No unknown fields, and no infinite or NaN numbers (YAML writes them `.inf`, `.nan`).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Limits(Strict):
    time_s: float = Field(default=2.0, gt=0, description="Per-test time limit (wall clock).")
    total_time_s: float = Field(default=60.0, gt=0, description="All tests together.")
    memory_mb: int = Field(default=128, ge=16)
    processes: int = Field(default=32, ge=1)
    output_kb: int = Field(default=64, ge=1)
    file_size_kb: int = Field(default=16384, ge=1)
    compile_time_s: float = Field(default=30.0, gt=0)
    compile_memory_mb: int = Field(default=256, ge=16)


class Comparison(Strict):
    mode: CompareMode = CompareMode.WHITESPACE
    abs_tol: float = Field(default=1e-6, ge=0)
    rel_tol: float = Field(default=1e-9, ge=0)
    case_sensitive: bool = True


class TestCase(Strict):
    __test__ = False  # an exercise test, not a pytest class

    name: str = Field(min_length=1, max_length=200)
    stdin: str = ""
    stdin_file: SafePath | None = None
    args: list[str] = Field(default_factory=list)
    files: dict[str, SafePath] = Field(
        default_factory=dict, description="Input files: name in the sandbox -> exercise file."
    )
    expected_stdout: str | None = None
    expected_stdout_file: SafePath | None = None
    expected_exit_code: int | None = 0
    compare: Comparison = Field(default_factory=Comparison)
    points: float = Field(default=1.0, ge=0, le=MAX_POINTS)
    visibility: Visibility = Visibility.VISIBLE
    time_s: float | None = Field(default=None, gt=0)

    @field_validator("compare", mode="before")
    @classmethod
    def _compare_shorthand(cls, value: Any) -> Any:
        return {"mode": value} if isinstance(value, str) else value

    @field_validator("files", mode="before")
    @classmethod
    def _files_shorthand(cls, value: Any) -> Any:
        return {name: name for name in value} if isinstance(value, list) else value

    @field_validator("files", mode="after")
    @classmethod
    def _unique_targets(cls, value: dict[str, str]) -> dict[str, str]:
        try:
            return unique_paths(value)
        except PathRefused as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _one_expected(self) -> TestCase:
        if self.expected_stdout is not None and self.expected_stdout_file is not None:
            raise ValueError("give expected_stdout or expected_stdout_file, not both")
        if self.stdin and self.stdin_file:
            raise ValueError("give stdin or stdin_file, not both")
        if self.compare.mode is CompareMode.REGEX and self.expected_stdout is not None:
            try:
                regex.compile(self.expected_stdout)
            except regex.error as exc:
                raise ValueError(f"expected_stdout is not a valid regex: {exc}") from None
            except RecursionError:  # the regex parser recurses once per group
                raise ValueError("expected_stdout is not a usable regex: nested too deeply") \
                    from None
        return self


class UnitTestCase(Strict):
    """Points and visibility for one test function of the teacher's pytest file."""

    name: str = Field(min_length=1, max_length=200)
    points: float = Field(default=1.0, ge=0, le=MAX_POINTS)
    visibility: Visibility = Visibility.VISIBLE


class ExerciseSpec(Strict):
    """The contents of `exercise.yaml`."""

    language: Literal["python", "c", "cpp", "javascript", "java"]  # grader.languages
    entrypoint: SafePath
    title: str | None = None
    limits: Limits = Field(default_factory=Limits)
    compile_flags: list[str] | None = None
    link_flags: list[str] | None = None
    files: list[SafePath] = Field(
        default_factory=list, description="Support files copied next to the submission."
    )
    unittest: SafePath | None = Field(
        default=None, description="Teacher's test file: pytest (Python) or JUnit 5 (Java).")
    tests: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _language_defaults(cls, data: Any) -> Any:
        """Limits the spec leaves out take its language's defaults (`LanguageProfile.limits`)."""
        if not isinstance(data, dict):
            return data
        language = data.get("language")
        profile = LANGUAGES.get(language) if isinstance(language, str) else None
        limits = data.get("limits", {})
        if profile is None or not isinstance(limits, dict) or not profile.limits:
            return data
        return {**data, "limits": {**profile.limits, **limits}}

    @field_validator("compile_flags", "link_flags")
    @classmethod
    def _flags(cls, value: list[str] | None) -> list[str] | None:
        for flag in value or []:
            if not flag.startswith("-") or flag.startswith(("-o", "-wrapper", "-B", "-fplugin")):
                raise ValueError(f"flag {quote(flag)} is not allowed")
        return value

    @model_validator(mode="after")
    def _java_flags(self) -> ExerciseSpec:
        if self.language != "java":
            return self
        for flag in self.compile_flags or []:
            # javac's own JVM options, output directories and class path are the grader's.
            name = flag.split("=", 1)[0]
            if flag.startswith("-J") or name in JAVAC_RESERVED:
                raise ValueError(f"flag {quote(flag)} is not allowed for java")
        return self


class Exercise(BaseModel):
    """A loaded, checked exercise: its spec, its typed tests and the files it names."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    spec: ExerciseSpec
    io_tests: list[TestCase]
    unit_tests: list[UnitTestCase]
    files: dict[str, bytes]

    @property
    def language(self) -> str:
        return self.spec.language

    @property
    def is_unittest(self) -> bool:
        return self.spec.unittest is not None

    def expected_stdout(self, test: TestCase) -> str | None:
        """What the test expects on stdout, from the spec or from its file."""
        if test.expected_stdout_file is not None:
            return self.files[test.expected_stdout_file].decode("utf-8", "replace")
        return test.expected_stdout

    def stdin(self, test: TestCase) -> bytes:
        """The bytes the test feeds to the program."""
        if test.stdin_file is not None:
            return self.files[test.stdin_file]
        return test.stdin.encode()
