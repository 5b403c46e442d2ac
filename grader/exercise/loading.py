"""Loading an exercise: read `exercise.yaml` with bounds, check it and every file it names.

A broken exercise gets an :class:`ExerciseError` naming the file, the field and what is wrong.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from pydantic import ValidationError

from grader.bounded import Bounds, DocumentTooComplex, safe_load_yaml
from grader.config import GraderSettings, get_grader_settings
from grader.exercise.errors import ExerciseError, from_validation_error, quote
from grader.exercise.junit import discover_junit_tests
from grader.exercise.models import Exercise, ExerciseSpec, TestCase, UnitTestCase
from grader.exercise.paths import PathRefused, unique_paths
from grader.languages import LANGUAGES

SPEC_FILE = "exercise.yaml"
MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
# Far more than any exercise needs (a test is a dozen nodes), far less than an alias bomb.
SPEC_BOUNDS = Bounds(max_bytes=MAX_FILE_BYTES, max_depth=32, max_nodes=20_000)


def parse_exercise(files: dict[str, bytes], settings: GraderSettings | None = None) -> Exercise:
    """Check an exercise given as {relative path: content}; raise ExerciseError if broken."""
    settings = settings or get_grader_settings()
    files = _checked_files(files)
    if SPEC_FILE not in files:
        raise ExerciseError(SPEC_FILE, None, "file is missing")
    data = _read_spec(files[SPEC_FILE])
    if not isinstance(data, dict):
        raise ExerciseError(SPEC_FILE, None, "must be a mapping of fields (language, tests, ...)")
    try:
        spec = ExerciseSpec.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(SPEC_FILE, exc) from None
    if spec.unittest:
        exercise = Exercise(spec=spec, io_tests=[], unit_tests=_unit_tests(spec), files=files)
    else:
        exercise = Exercise(spec=spec, io_tests=_io_tests(spec), unit_tests=[], files=files)
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


def _read_spec(content: bytes) -> object:
    try:
        return safe_load_yaml(content, SPEC_BOUNDS)
    except UnicodeDecodeError:
        raise ExerciseError(SPEC_FILE, None, "file is not UTF-8 text") from None
    except DocumentTooComplex as exc:
        raise ExerciseError(SPEC_FILE, None, f"the document is too complex: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ExerciseError(SPEC_FILE, None, f"invalid YAML{where}: {problem}") from None


def _checked_files(files: dict[str, bytes]) -> dict[str, bytes]:
    try:
        checked = unique_paths(files)
    except PathRefused as exc:
        raise ExerciseError(exc.name, None, str(exc)) from None
    for name, content in checked.items():
        if len(content) > MAX_FILE_BYTES:
            raise ExerciseError(name, None, f"file is larger than {MAX_FILE_BYTES} bytes")
    if sum(len(content) for content in checked.values()) > MAX_TOTAL_BYTES:
        raise ExerciseError(SPEC_FILE, None, f"exercise files exceed {MAX_TOTAL_BYTES} bytes")
    return checked


def _unit_tests(spec: ExerciseSpec) -> list[UnitTestCase]:
    tests = []
    for index, raw in enumerate(spec.tests):
        try:
            tests.append(UnitTestCase.model_validate(raw))
        except ValidationError as exc:
            raise from_validation_error(SPEC_FILE, exc, prefix=f"tests[{index}].") from None
    _check_unique_names([test.name for test in tests])
    return tests


def _io_tests(spec: ExerciseSpec) -> list[TestCase]:
    tests = []
    for index, raw in enumerate(spec.tests):
        try:
            test = TestCase.model_validate(raw)
        except ValidationError as exc:
            raise from_validation_error(SPEC_FILE, exc, prefix=f"tests[{index}].") from None
        if test.expected_stdout is None and test.expected_stdout_file is None \
                and test.expected_exit_code is None:
            raise ExerciseError(SPEC_FILE, f"tests[{index}]",
                                "a test must expect something: stdout or an exit code")
        tests.append(test)
    if not tests:
        raise ExerciseError(SPEC_FILE, "tests", "at least one test is needed")
    _check_unique_names([test.name for test in tests])
    return tests


def _check_unique_names(names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ExerciseError(SPEC_FILE, "tests", f"duplicate test name {quote(name)}")
        seen.add(name)


def _check_references(exercise: Exercise) -> None:
    spec = exercise.spec
    if spec.unittest:
        if not LANGUAGES[spec.language].supports_unittest:
            raise ExerciseError(SPEC_FILE, "unittest", f"not supported for {spec.language}")
        _require(exercise, spec.unittest, "unittest")
        functions = discover_unit_tests(spec.language, exercise.files[spec.unittest],
                                        spec.unittest)
        if not functions:
            what = ("test methods (@Test)" if spec.language == "java"
                    else "test functions (def test_...)")
            raise ExerciseError(spec.unittest, None, f"no {what} found")
        for index, unit_test in enumerate(exercise.unit_tests):
            if unit_test.name not in functions:
                raise ExerciseError(SPEC_FILE, f"tests[{index}].name",
                                    f"{quote(unit_test.name)} is not a test function in "
                                    f"{quote(spec.unittest)}")
    for index, name in enumerate(spec.files):
        _require(exercise, name, f"files[{index}]")
    for index, test in enumerate(exercise.io_tests):
        if test.stdin_file is not None:
            _require(exercise, test.stdin_file, f"tests[{index}].stdin_file")
        if test.expected_stdout_file is not None:
            _require(exercise, test.expected_stdout_file, f"tests[{index}].expected_stdout_file")
        for target, source in test.files.items():
            _require(exercise, source, f"tests[{index}].files.{target}")


def _require(exercise: Exercise, name: str, field: str) -> None:
    if name not in exercise.files:
        raise ExerciseError(SPEC_FILE, field, f"names {quote(name)}, which is not in the exercise")


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
            raise ExerciseError(SPEC_FILE, field,
                                f"{quote(value)} is above this grader's limit {ceiling}")


def discover_unit_tests(language: str, source: bytes, file: str) -> list[str]:
    """The tests of a teacher's unit-test file, named as its framework's report names them."""
    if LANGUAGES[language].unittest == "junit":
        if not file.endswith(".java"):
            raise ExerciseError(SPEC_FILE, "unittest", "a JUnit test file must end in .java")
        return discover_junit_tests(source)
    return discover_test_functions(source, file)


def discover_test_functions(source: bytes, file: str) -> list[str]:
    """Test function names in a pytest file, as pytest names them (`Class::test` for methods)."""
    try:
        tree = ast.parse(source, filename=file)
    except SyntaxError as exc:
        raise ExerciseError(file, None, f"syntax error at line {exc.lineno}: {exc.msg}") from None
    except (ValueError, RecursionError):  # NUL bytes; expressions nested thousands deep
        raise ExerciseError(file, None, "cannot be read as Python source") from None
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
