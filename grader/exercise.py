"""Exercises: `exercise.yaml` and the files it names, loaded and checked before any grading.

A broken exercise gets an :class:`ExerciseError` naming the file, the field and what is wrong.
"""

from __future__ import annotations

import ast
import posixpath
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import regex
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from grader.config import GraderSettings, get_grader_settings
from grader.languages import LANGUAGES

SPEC_FILE = "exercise.yaml"
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024


class ExerciseError(ValueError):
    """An exercise that cannot be used, with where and why."""

    def __init__(self, file: str, field: str | None, message: str) -> None:
        self.file, self.field, self.message = file, field, message
        where = f"{file}: {field}: " if field else f"{file}: "
        super().__init__(where + message)

    def as_dict(self) -> dict[str, str | None]:
        return {"file": self.file, "field": self.field, "message": self.message}


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


def safe_relative_path(value: str) -> str:
    """A relative POSIX path that stays inside its directory."""
    if not value or "\x00" in value or "\\" in value:
        raise ValueError("must be a non-empty relative path")
    normal = posixpath.normpath(value)
    if normal.startswith(("/", "../")) or normal in (".", "..") or posixpath.isabs(value):
        raise ValueError(f"{value!r} must stay inside the exercise directory")
    if len(normal) > 200:
        raise ValueError("path is too long")
    return normal


RelPath = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(Strict):
    time_s: float = Field(default=2.0, gt=0, description="Per-test time limit (wall clock).")
    total_time_s: float = Field(default=60.0, gt=0, description="All tests together.")
    memory_mb: int = Field(default=128, ge=16)
    processes: int = Field(default=32, ge=1)
    output_kb: int = Field(default=64, ge=1)
    file_size_kb: int = Field(default=16384, ge=1)
    compile_time_s: float = Field(default=30.0, gt=0)


class Comparison(Strict):
    mode: CompareMode = CompareMode.WHITESPACE
    abs_tol: float = Field(default=1e-6, ge=0)
    rel_tol: float = Field(default=1e-9, ge=0)
    case_sensitive: bool = True


class TestCase(Strict):
    __test__ = False  # an exercise test, not a pytest class

    name: str = Field(min_length=1, max_length=200)
    stdin: str = ""
    stdin_file: RelPath | None = None
    args: list[str] = Field(default_factory=list)
    files: dict[str, RelPath] = Field(
        default_factory=dict, description="Input files: name in the sandbox -> exercise file."
    )
    expected_stdout: str | None = None
    expected_stdout_file: RelPath | None = None
    expected_exit_code: int | None = 0
    compare: Comparison = Field(default_factory=Comparison)
    points: float = Field(default=1.0, ge=0)
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
        for target in self.files:
            safe_relative_path(target)
        return self


class UnitTestCase(Strict):
    """Points and visibility for one test function of the teacher's pytest file."""

    name: str = Field(min_length=1)
    points: float = Field(default=1.0, ge=0)
    visibility: Visibility = Visibility.VISIBLE


class ExerciseSpec(Strict):
    """The contents of `exercise.yaml`."""

    language: Literal["python", "c"]
    entrypoint: RelPath
    title: str | None = None
    limits: Limits = Field(default_factory=Limits)
    compile_flags: list[str] | None = None
    link_flags: list[str] | None = None
    files: list[RelPath] = Field(
        default_factory=list, description="Support files copied next to the submission."
    )
    unittest: RelPath | None = Field(default=None, description="Teacher's pytest file.")
    tests: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("entrypoint", "unittest", "files", mode="after")
    @classmethod
    def _safe_paths(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [safe_relative_path(v) for v in value]
        return safe_relative_path(value) if value is not None else value

    @field_validator("compile_flags", "link_flags")
    @classmethod
    def _flags(cls, value: list[str] | None) -> list[str] | None:
        for flag in value or []:
            if not flag.startswith("-") or flag.startswith(("-o", "-wrapper", "-B", "-fplugin")):
                raise ValueError(f"flag {flag!r} is not allowed")
        return value


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
        if test.expected_stdout_file is not None:
            return self.files[test.expected_stdout_file].decode("utf-8", "replace")
        return test.expected_stdout

    def stdin(self, test: TestCase) -> bytes:
        if test.stdin_file is not None:
            return self.files[test.stdin_file]
        return test.stdin.encode()


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1 if parts else 0:] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(str(item))
    return ".".join(parts)


def _first_error(file: str, error: ValidationError, prefix: str = "") -> ExerciseError:
    first = error.errors()[0]
    path = _field_path(tuple(first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field (check its spelling)"
    elif first["type"] == "literal_error":
        message = f"{message}; got {first.get('input')!r}"
    return ExerciseError(file, (prefix + path).strip(".") or None, message)


def parse_exercise(files: dict[str, bytes], settings: GraderSettings | None = None) -> Exercise:
    """Check an exercise given as {relative path: content}; raise ExerciseError if broken."""
    settings = settings or get_grader_settings()
    files = _checked_files(files)
    if SPEC_FILE not in files:
        raise ExerciseError(SPEC_FILE, None, "file is missing")
    try:
        data = yaml.safe_load(files[SPEC_FILE].decode("utf-8"))
    except UnicodeDecodeError:
        raise ExerciseError(SPEC_FILE, None, "file is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ExerciseError(SPEC_FILE, None, f"invalid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ExerciseError(SPEC_FILE, None, "must be a mapping of fields (language, tests, ...)")
    try:
        spec = ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        raise _first_error(SPEC_FILE, exc) from None
    io_tests, unit_tests = _typed_tests(spec)
    exercise = Exercise(spec=spec, io_tests=io_tests, unit_tests=unit_tests, files=files)
    _check_references(exercise)
    _check_ceilings(spec, settings)
    return exercise


def load_exercise(directory: Path, settings: GraderSettings | None = None) -> Exercise:
    """Load an exercise directory from disk."""
    if not (directory / SPEC_FILE).is_file():
        raise ExerciseError(str(directory / SPEC_FILE), None, "file is missing")
    files: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            raise ExerciseError(str(path.relative_to(directory)), None, "symlinks are not allowed")
        if path.is_file() and "__pycache__" not in path.parts:
            files[path.relative_to(directory).as_posix()] = path.read_bytes()
    return parse_exercise(files, settings)


def _checked_files(files: dict[str, bytes]) -> dict[str, bytes]:
    total = 0
    checked = {}
    for name, content in files.items():
        try:
            normal = safe_relative_path(name)
        except ValueError as exc:
            raise ExerciseError(name, None, str(exc)) from None
        if len(content) > MAX_FILE_BYTES:
            raise ExerciseError(name, None, f"file is larger than {MAX_FILE_BYTES} bytes")
        total += len(content)
        checked[normal] = content
    if total > MAX_TOTAL_BYTES:
        raise ExerciseError(SPEC_FILE, None, f"exercise files exceed {MAX_TOTAL_BYTES} bytes")
    return checked


def _typed_tests(spec: ExerciseSpec) -> tuple[list[TestCase], list[UnitTestCase]]:
    model: type[TestCase] | type[UnitTestCase] = UnitTestCase if spec.unittest else TestCase
    typed: list[Any] = []
    for index, raw in enumerate(spec.tests):
        try:
            typed.append(model.model_validate(raw))
        except ValidationError as exc:
            raise _first_error(SPEC_FILE, exc, prefix=f"tests[{index}].") from None
    names = [t.name for t in typed]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ExerciseError(SPEC_FILE, "tests", f"duplicate test name {sorted(duplicates)[0]!r}")
    if spec.unittest:
        return [], typed
    if not typed:
        raise ExerciseError(SPEC_FILE, "tests", "at least one test is needed")
    for index, test in enumerate(typed):
        if test.expected_stdout is None and test.expected_stdout_file is None \
                and test.expected_exit_code is None:
            raise ExerciseError(SPEC_FILE, f"tests[{index}]",
                                "a test must expect something: stdout or an exit code")
    return typed, []


def _check_references(exercise: Exercise) -> None:
    spec = exercise.spec
    profile = LANGUAGES[spec.language]
    if spec.unittest:
        if not profile.supports_unittest:
            raise ExerciseError(SPEC_FILE, "unittest", f"not supported for {spec.language}")
        _require(exercise, spec.unittest, "unittest")
        functions = discover_test_functions(exercise.files[spec.unittest], spec.unittest)
        if not functions:
            raise ExerciseError(spec.unittest, None, "no test functions (def test_...) found")
        for index, test in enumerate(exercise.unit_tests):
            if test.name not in functions:
                raise ExerciseError(SPEC_FILE, f"tests[{index}].name",
                                    f"{test.name!r} is not a test function in {spec.unittest}")
    for index, name in enumerate(spec.files):
        _require(exercise, name, f"files[{index}]")
    for index, test in enumerate(exercise.io_tests):
        for field in ("stdin_file", "expected_stdout_file"):
            value = getattr(test, field)
            if value is not None:
                _require(exercise, value, f"tests[{index}].{field}")
        for target, source in test.files.items():
            _require(exercise, safe_relative_path(source), f"tests[{index}].files.{target}")


def _require(exercise: Exercise, name: str, field: str) -> None:
    if name not in exercise.files:
        raise ExerciseError(SPEC_FILE, field, f"names {name!r}, which is not in the exercise")


def _check_ceilings(spec: ExerciseSpec, settings: GraderSettings) -> None:
    limits = spec.limits
    checks = [
        ("limits.memory_mb", limits.memory_mb, settings.max_memory_mb),
        ("limits.time_s", limits.time_s, settings.max_time_s),
        ("limits.total_time_s", limits.total_time_s, settings.max_total_time_s),
        ("limits.processes", limits.processes, settings.max_processes),
        ("limits.output_kb", limits.output_kb, settings.max_output_kb),
    ]
    for field, value, ceiling in checks:
        if value > ceiling:
            raise ExerciseError(SPEC_FILE, field, f"{value} is above this grader's limit {ceiling}")


def discover_test_functions(source: bytes, file: str) -> list[str]:
    """Test function names in a pytest file, as pytest names them (`Class::test` for methods)."""
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as exc:
        raise ExerciseError(file, None, f"syntax error at line {exc.lineno}: {exc.msg}") from None
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                and node.name.startswith("test"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names.extend(
                f"{node.name}::{item.name}" for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            )
    return names
