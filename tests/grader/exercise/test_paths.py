"""File names in an exercise: inside the exercise, normalised, and never two names for one file."""

from __future__ import annotations

import pytest
import yaml

from grader.exercise import ExerciseError, PathRefused, parse_exercise, unique_paths
from tests.grader.helpers import ADD_EXERCISE

UNSAFE = ["../secret.txt", "data/../../secret.txt", "/etc/passwd", "..\\secret.txt",
          "data\\in.txt", "in\x00.txt", "", ".", "//etc/passwd"]


def broken(spec: dict[str, object], **files: bytes) -> ExerciseError:
    with pytest.raises(ExerciseError) as caught:
        parse_exercise({"exercise.yaml": yaml.safe_dump(spec).encode(), **files})
    return caught.value


def with_test(**test: object) -> dict[str, object]:
    return {**ADD_EXERCISE, "tests": [{"name": "t", "expected_stdout": "", **test}]}


@pytest.mark.parametrize("source", UNSAFE)
def test_unsafe_source_in_test_files_names_the_field(source: str) -> None:
    error = broken(with_test(files={"in.txt": source}), **{"in.txt": b"1"})
    assert error.file == "exercise.yaml"
    assert error.field == "tests[0].files.in.txt"
    assert "relative path" in error.message


@pytest.mark.parametrize("target", UNSAFE)
def test_unsafe_target_in_test_files_names_the_field(target: str) -> None:
    error = broken(with_test(files={target: "in.txt"}), **{"in.txt": b"1"})
    assert error.field is not None and error.field.startswith("tests[0].files")
    assert "relative path" in error.message


@pytest.mark.parametrize("field", ["stdin_file", "expected_stdout_file"])
def test_unsafe_stdin_and_expected_files_name_the_field(field: str) -> None:
    test: dict[str, object] = {"name": "t", field: "../in.txt"}
    error = broken({**ADD_EXERCISE, "tests": [test]})
    assert error.field == f"tests[0].{field}" and "stays inside" in error.message


def test_test_files_are_normalised() -> None:
    spec = with_test(files={"./data//in.txt": "data/./in.txt"}, stdin_file="data//in.txt")
    exercise = parse_exercise({"exercise.yaml": yaml.safe_dump(spec).encode(),
                               "data/in.txt": b"1 2\n"})
    test = exercise.io_tests[0]
    assert test.files == {"data/in.txt": "data/in.txt"}
    assert exercise.stdin(test) == b"1 2\n"


def test_two_targets_for_one_sandbox_file_are_refused() -> None:
    error = broken(with_test(files={"a/./x.txt": "in.txt", "a/x.txt": "in.txt"}),
                   **{"in.txt": b"1"})
    assert error.field == "tests[0].files" and "same file" in error.message


def test_duplicate_exercise_files_after_normalising_are_refused() -> None:
    document = yaml.safe_dump(ADD_EXERCISE).encode()
    for names in (["a//b.txt", "a/b.txt"], ["a/./b.txt", "a/b.txt"],
                  ["a/b.txt", "a/c/../b.txt"], ["exercise.yaml", "./exercise.yaml"]):
        files = {"exercise.yaml": document, **{name: b"x" for name in names}}
        with pytest.raises(ExerciseError) as caught:
            parse_exercise(files)
        assert caught.value.file == names[1]
        assert f"is the same file as {names[0]!r}" in caught.value.message


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_exercise_file_names_are_refused(name: str) -> None:
    with pytest.raises(ExerciseError, match="relative path"):
        parse_exercise({"exercise.yaml": yaml.safe_dump(ADD_EXERCISE).encode(), name: b""})


def test_unique_paths_keeps_order_and_content() -> None:
    assert unique_paths({"b//c": 1, "./a": 2}) == {"b/c": 1, "a": 2}
    with pytest.raises(PathRefused) as caught:
        unique_paths({"a/b": 1, "a//b": 2})
    assert caught.value.name == "a//b"
