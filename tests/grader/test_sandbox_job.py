"""Submitted files: checked and normalised before a job is built; two names of one file refused."""

from __future__ import annotations

import pytest

from grader.sandbox_job import SubmissionRejected, build_job, check_submission
from tests.grader.helpers import GOOD_PY, exercise


def rejected(files: dict[str, bytes]) -> str:
    with pytest.raises(SubmissionRejected) as caught:
        check_submission(exercise(), files)
    return str(caught.value)


def test_the_same_file_under_three_names_is_refused() -> None:
    message = rejected({"solution.py": GOOD_PY, "a//b.txt": b"1", "a/./b.txt": b"2",
                        "a/b.txt": b"3"})
    assert "'a/./b.txt' is the same file as 'a//b.txt'" in message
    assert "(both are 'a/b.txt')" in message


@pytest.mark.parametrize("names", [
    ("solution.py", "./solution.py"), ("solution.py", "x/../solution.py"),
    ("d/x.py", "d//x.py"),
])
def test_any_two_names_of_one_file_are_refused(names: tuple[str, str]) -> None:
    files = {"solution.py": GOOD_PY, **{name: b"pass\n" for name in names}}
    assert f"{names[1]!r} is the same file as" in rejected(files)


@pytest.mark.parametrize("name", ["../solution.py", "/etc/passwd", "a\\b.py", "a\x00.py"])
def test_unsafe_names_are_refused_and_named(name: str) -> None:
    message = rejected({"solution.py": GOOD_PY, name: b""})
    assert message.startswith("file name ") and "relative path" in message


def test_names_are_normalised_and_a_misnamed_entrypoint_is_used() -> None:
    checked = check_submission(exercise(), {"./src//main.py": GOOD_PY, "data/./in.txt": b"1"})
    assert checked == {"solution.py": GOOD_PY, "data/in.txt": b"1"}
    job = build_job(exercise(), checked)
    assert set(job.files) == {"solution.py", "data/in.txt"}
    assert [step.stdin for step in job.tests] == [b"2 3\n", b"1000000000000 1\n"]


def test_long_names_are_quoted_short() -> None:
    assert len(rejected({"solution.py": GOOD_PY, "../" + "x" * 100_000: b""})) < 200
