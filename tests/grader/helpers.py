"""Building exercises and submissions for grader tests."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from grader.exercise import Exercise, parse_exercise
from grader.grading import grade
from grader.results import GradingResult
from grader.sandbox import Sandbox

ADD_EXERCISE = {
    "language": "python",
    "entrypoint": "solution.py",
    "limits": {"time_s": 2, "memory_mb": 128},
    "tests": [
        {"name": "adds two numbers", "stdin": "2 3\n", "expected_stdout": "5\n", "points": 2},
        {"name": "large numbers", "stdin": "1000000000000 1\n",
         "expected_stdout": "1000000000001\n", "points": 1, "visibility": "hidden"},
    ],
}
GOOD_PY = b"a, b = map(int, input().split())\nprint(a + b)\n"


def exercise(spec: dict[str, Any] | None = None, **files: bytes) -> Exercise:
    """An exercise from a spec dict (ADD_EXERCISE by default) and extra files."""
    document = yaml.safe_dump(spec or ADD_EXERCISE).encode()
    return parse_exercise({"exercise.yaml": document, **files})


def one_test(stdin: str = "", expected: str | None = "", language: str = "python",
             limits: dict[str, Any] | None = None, **test: Any) -> Exercise:
    """A one-test exercise: the usual way an attack is staged."""
    spec: dict[str, Any] = {
        "language": language,
        "entrypoint": "solution.py" if language == "python" else "solution.c",
        "limits": {"time_s": 2, "memory_mb": 128, "total_time_s": 10, **(limits or {})},
        "tests": [{"name": "t", "stdin": stdin, "expected_stdout": expected, **test}],
    }
    return exercise(spec)


def run_py(sandbox: Sandbox, code: str, ex: Exercise | None = None) -> GradingResult:
    return grade(ex or one_test(), {"solution.py": code.encode()}, sandbox)


def run_c(sandbox: Sandbox, code: str, ex: Exercise | None = None) -> GradingResult:
    return grade(ex or one_test(language="c"), {"solution.c": code.encode()}, sandbox)


MEMORY_BOUND = 20 * 1024 * 1024  # a correctness bound: the refusal builds nothing big


def alias_bomb(levels: int = 8, key: str = "language") -> str:
    """The issue's shape: each anchor is a list of nine aliases of the one before, under `key`."""
    lines = [f"{key}:", '  a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for level in range(1, levels):
        alias = f"*a{level - 1}"
        lines.append(f"  a{level}: &a{level} [{','.join([alias] * 9)}]")
    return "\n".join(lines) + "\n"


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Peak bytes allocated by Python inside the block (tracemalloc)."""
    measured: list[int] = []
    tracemalloc.start()
    try:
        yield measured
    finally:
        measured.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
