"""Exercise loading: the issue's example works as written; broken files get precise errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from grader.exercise import (
    CompareMode,
    ExerciseError,
    Visibility,
    discover_test_functions,
    load_exercise,
    parse_exercise,
)
from tests.grader.helpers import ADD_EXERCISE

ISSUE_EXAMPLE = """\
language: python
entrypoint: solution.py
limits: {time_s: 2, memory_mb: 128}
tests:
  - name: adds two numbers
    stdin: "2 3\\n"
    expected_stdout: "5\\n"
    points: 2
  - name: large numbers
    stdin: "1000000000000 1\\n"
    expected_stdout: "1000000000001\\n"
    points: 1
    visibility: hidden
"""


def test_issue_example_loads_as_written(tmp_path: Path) -> None:
    (tmp_path / "exercise.yaml").write_text(ISSUE_EXAMPLE)
    exercise = load_exercise(tmp_path)
    assert exercise.language == "python"
    assert [t.name for t in exercise.io_tests] == ["adds two numbers", "large numbers"]
    first, second = exercise.io_tests
    assert first.points == 2 and first.visibility is Visibility.VISIBLE
    assert second.visibility is Visibility.HIDDEN
    assert first.compare.mode is CompareMode.WHITESPACE  # the default
    assert exercise.spec.limits.time_s == 2 and exercise.spec.limits.memory_mb == 128


def broken(spec: object, **files: bytes) -> ExerciseError:
    document = spec if isinstance(spec, bytes) else yaml.safe_dump(spec).encode()
    with pytest.raises(ExerciseError) as caught:
        parse_exercise({"exercise.yaml": document, **files})
    return caught.value


@pytest.mark.parametrize(("spec", "field", "words"), [
    ({**ADD_EXERCISE, "language": "rust"}, "language",
     "'python', 'c', 'cpp', 'javascript' or 'java'"),
    ({**ADD_EXERCISE, "limits": {"time_s": -1}}, "limits.time_s", "greater than 0"),
    ({**ADD_EXERCISE, "tests": [{"name": "x", "expected_stdout": 5}]},
     "tests[0].expected_stdout", "valid string"),
    ({**ADD_EXERCISE, "tests": [{"name": "x", "expected_stdout": "", "pointz": 1}]},
     "tests[0].pointz", "unknown field"),
    ({**ADD_EXERCISE, "tests": [{"name": "x", "visibility": "secret"}]},
     "tests[0].visibility", "visible"),
    ({**ADD_EXERCISE, "tests": []}, "tests", "at least one test"),
    ({**ADD_EXERCISE, "tests": [{"name": "x", "expected_stdout": "a"},
                                {"name": "x", "expected_stdout": "b"}]}, "tests", "duplicate"),
    ({**ADD_EXERCISE, "entrypoint": "../../etc/passwd"}, "entrypoint", "inside"),
    ({**ADD_EXERCISE, "tests": [{"name": "x", "expected_stdout": "", "files": ["data.txt"]}]},
     "tests[0].files.data.txt", "not in the exercise"),
    ({**ADD_EXERCISE, "tests": [{"name": "x", "expected_stdout": "(", "compare": "regex"}]},
     "tests[0]", "not a valid regex"),
    ({**ADD_EXERCISE, "limits": {"memory_mb": 10**6}}, "limits.memory_mb", "above"),
    ({**ADD_EXERCISE, "language": "c", "compile_flags": ["-o/etc/x"]}, "compile_flags",
     "not allowed"),
    ({**ADD_EXERCISE, "unittest": "test_missing.py", "tests": []}, "unittest", "not in"),
])
def test_broken_fields_are_named(spec: dict[str, object], field: str, words: str) -> None:
    error = broken(spec)
    assert error.file == "exercise.yaml"
    assert error.field == field, error
    assert words in error.message, error
    assert "Traceback" not in str(error)


def test_bad_yaml_names_line_and_column() -> None:
    error = broken(b"language: python\ntests: [\n")
    assert error.field is None
    assert "invalid YAML at line" in error.message


def test_not_a_mapping_and_missing_file() -> None:
    assert "mapping" in broken(b"- just\n- a list\n").message
    with pytest.raises(ExerciseError, match="file is missing"):
        parse_exercise({"solution.py": b""})


def test_unittest_file_with_syntax_error_is_named() -> None:
    spec = {"language": "python", "entrypoint": "s.py", "unittest": "test_s.py"}
    error = broken(spec, **{"test_s.py": b"def test_x(:\n"})
    assert error.file == "test_s.py" and "syntax error at line 1" in error.message


def test_unknown_unit_test_name_is_refused() -> None:
    spec = {"language": "python", "entrypoint": "s.py", "unittest": "test_s.py",
            "tests": [{"name": "test_nope", "points": 3}]}
    error = broken(spec, **{"test_s.py": b"def test_yes():\n    pass\n"})
    assert error.field == "tests[0].name"


def test_discover_test_functions_matches_pytest_naming() -> None:
    source = (b"def test_a(): pass\ndef helper(): pass\nclass TestB:\n"
              b"    def test_c(self): pass\n    def other(self): pass\nasync def test_d(): pass\n")
    assert discover_test_functions(source, "t.py") == ["test_a", "TestB::test_c", "test_d"]


def test_symlinks_in_exercise_dir_are_refused(tmp_path: Path) -> None:
    (tmp_path / "exercise.yaml").write_text(ISSUE_EXAMPLE)
    (tmp_path / "leak").symlink_to("/etc/passwd")
    with pytest.raises(ExerciseError, match="symlinks"):
        load_exercise(tmp_path)
