"""Output comparison modes."""

from __future__ import annotations

import time

import pytest

from grader.compare import outputs_match
from grader.exercise import CompareMode, Comparison


def cmp(mode: str, **kw: object) -> Comparison:
    return Comparison(mode=CompareMode(mode), **kw)


@pytest.mark.parametrize(("mode", "expected", "actual", "verdict"), [
    ("exact", "5\n", "5\n", True),
    ("exact", "5\n", "5", False),
    ("whitespace", "5\n", "5", True),
    ("whitespace", "a  b\n\n\n", "a b  \n", True),
    ("whitespace", "a b\nc\n", "a b c\n", False),
    ("tokens", "1 2\n3", "1\n2 3\n", True),
    ("tokens", "1 2 3", "1 2", False),
    ("numeric", "3.14159 2", "3.1415900001 2.0", True),
    ("numeric", "3.14", "3.15", False),
    ("numeric", "nan inf", "nan inf", True),
    ("numeric", "x 1", "x 1.0", True),
    ("regex", r"Result: \d+\n?", "Result: 42\n", True),
    ("regex", r"Result: \d+", "Result: x", False),
])
def test_modes(mode: str, expected: str, actual: str, verdict: bool) -> None:
    assert outputs_match(expected, actual, cmp(mode)) is verdict


def test_numeric_tolerance_is_configurable() -> None:
    assert outputs_match("1.0", "1.05", cmp("numeric", abs_tol=0.1))
    assert not outputs_match("1.0", "1.05", cmp("numeric", abs_tol=0.01))


def test_case_insensitive() -> None:
    assert outputs_match("YES", "yes", cmp("whitespace", case_sensitive=False))
    assert not outputs_match("YES", "yes", cmp("whitespace"))


def test_catastrophic_regex_on_hostile_output_is_bounded() -> None:
    started = time.monotonic()
    assert not outputs_match(r"(a+)+$", "a" * 64 + "b", cmp("regex"))
    assert time.monotonic() - started < 10
