"""Hostile `exercise.yaml` files: refused with a short, clear error, in bounded memory."""

from __future__ import annotations

import math

import pytest
import yaml

from grader.exercise import ExerciseError, parse_exercise
from tests.grader.helpers import ADD_EXERCISE, MEMORY_BOUND, alias_bomb, peak_memory

MAX_MESSAGE = 300


def refused(document: bytes | str, **files: bytes) -> ExerciseError:
    raw = document.encode() if isinstance(document, str) else document
    with pytest.raises(ExerciseError) as caught:
        parse_exercise({"exercise.yaml": raw, **files})
    assert len(str(caught.value)) <= MAX_MESSAGE, str(caught.value)[:1000]
    return caught.value


def spec_with(**fields: object) -> str:
    return yaml.safe_dump({**ADD_EXERCISE, **fields})


def test_alias_bomb_under_language_is_refused_in_bounded_memory() -> None:
    bomb = alias_bomb() + "entrypoint: solution.py\n"
    assert len(bomb.encode()) < 430
    with peak_memory() as peak:
        error = refused(bomb)
    assert peak[0] < MEMORY_BOUND, f"peak {peak[0] / 1e6:.1f} MB"
    assert error.file == "exercise.yaml" and error.field is None
    assert "too complex" in error.message and "aliases" in error.message


def test_a_small_alias_bomb_under_the_limit_still_gets_a_short_message() -> None:
    # 9**4 strings pass the node bound; the wrong language is reported without repeating them.
    error = refused(alias_bomb(levels=4) + "entrypoint: solution.py\n")
    assert error.field == "language" and "got a mapping" in error.message


@pytest.mark.parametrize("opening", ["[", "{"])
def test_deep_nesting_is_a_clear_error(opening: str) -> None:
    for document in (opening * 5000, f"language: python\ntitle: {opening * 5000}\n"):
        error = refused(document)
        assert "too complex: nested deeper than 32 levels" in error.message


def test_aliases_for_shared_settings_still_work() -> None:
    document = """\
language: python
entrypoint: solution.py
tests:
  - &first {name: one, stdin: "1\\n", expected_stdout: "1\\n", points: 2}
  - {<<: *first, name: two}
"""
    exercise = parse_exercise({"exercise.yaml": document.encode()})
    assert [(t.name, t.points) for t in exercise.io_tests] == [("one", 2), ("two", 2)]


@pytest.mark.parametrize("document", [
    spec_with(title="x" * 100_000, language="x" * 100_000),
    spec_with(**{"x" * 100_000: 1}),
    spec_with(tests=[{"name": "n" * 100_000, "expected_stdout": ""}]),
    spec_with(tests=[{"name": "t", "expected_stdout": "", "files": {"y" * 100_000: "a"}}]),
    spec_with(entrypoint="../" + "z" * 100_000),
    spec_with(language="c", compile_flags=["-o" + "f" * 100_000]),
    spec_with(tests=[{"name": "t", "expected_stdout": "(" * 100_000, "compare": "regex"}]),
    "language: python\nentrypoint: s.py\ntitle: [" + "'x', " * 100_000 + "]\n",
])
def test_messages_stay_short_whatever_the_input(document: str) -> None:
    refused(document)  # the length is checked there


def test_long_file_names_are_cut_in_the_error() -> None:
    error = refused(spec_with(), **{"../" + "q" * 100_000: b""})
    assert error.file.startswith("../qqq") and len(error.file) <= 60


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_infinite_or_nan_points_are_refused(value: float) -> None:
    test = {"name": "t", "expected_stdout": "", "points": value}
    error = refused(spec_with(tests=[test]))
    assert error.field == "tests[0].points" and "finite number" in error.message


@pytest.mark.parametrize(("points", "words"), [
    (-1, "greater than or equal to 0"), (1e12, "less than or equal to 10000"),
])
def test_negative_or_absurd_points_are_refused(points: float, words: str) -> None:
    error = refused(spec_with(tests=[{"name": "t", "expected_stdout": "", "points": points}]))
    assert error.field == "tests[0].points" and words in error.message


def test_yaml_spelling_of_infinity_is_refused() -> None:
    document = ("language: python\nentrypoint: s.py\n"
                "tests: [{name: t, expected_stdout: '', points: .inf}]\n")
    assert refused(document).field == "tests[0].points"
    unit = ("language: python\nentrypoint: s.py\nunittest: test_s.py\n"
            "tests: [{name: test_a, points: .nan}]\n")
    assert refused(unit, **{"test_s.py": b"def test_a(): pass\n"}).field == "tests[0].points"


@pytest.mark.parametrize("field", ["time_s", "total_time_s", "compile_time_s"])
def test_infinite_limits_are_refused(field: str) -> None:
    error = refused(spec_with(limits={field: math.inf}))
    assert error.field == f"limits.{field}" and "finite number" in error.message


@pytest.mark.parametrize(("document", "words"), [
    ("language: python\nentrypoint: s.py\ntitle: 2026-13-45\n", "month must be in 1..12"),
    ("language: python\nentrypoint: s.py\ntitle: " + "9" * 5000 + "\n", "cannot be read"),
    (b"language: python\nentrypoint: \xff\n", "not UTF-8"),
])
def test_values_yaml_cannot_build_are_clear_errors(document: str | bytes, words: str) -> None:
    assert words in refused(document).message


def test_unittest_file_that_python_cannot_read_is_named() -> None:
    spec = "language: python\nentrypoint: s.py\nunittest: test_s.py\n"
    for source in (b"def test_a(): pass\n\x00", b"x = " + b"(" * 10_000 + b")" * 10_000):
        error = refused(spec, **{"test_s.py": source})
        assert error.file == "test_s.py"
