"""`grader check` on the example exercises: each reference earns full marks, each wrong one not.

tests/grader/exercises/<name>/ holds `exercise/` (what a teacher uploads), `solution/` and
`wrong/`, one per language and one in Java's unit-test mode.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli import main
from grader.languages import LANGUAGES

EXAMPLES = Path(__file__).parent / "exercises"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "exercise").is_dir())


def check(name: str, solution: str, wrong: str) -> int:
    base = EXAMPLES / name
    return main(["check", str(base / "exercise"), "--solution", str(base / solution),
                 "--wrong", str(base / wrong)])


def test_every_language_has_an_example() -> None:
    assert set(LANGUAGES) <= set(NAMES)
    assert "java-junit" in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_the_reference_earns_full_marks_and_the_wrong_one_does_not(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(name, "solution", "wrong") == 0, capsys.readouterr().out
    assert "!!" not in capsys.readouterr().out


def test_swapped_solutions_fail_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert check("java-junit", "wrong", "solution") == 1
    out = capsys.readouterr().out
    assert "reference solution does NOT earn full marks" in out
    assert "wrong solution earns full marks" in out
