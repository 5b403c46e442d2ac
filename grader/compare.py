"""Output comparison: exact, whitespace-tolerant, token-wise, numeric with tolerance, regex."""

from __future__ import annotations

import math

import regex

from grader.exercise.models import CompareMode, Comparison

REGEX_TIMEOUT_S = 1.0  # a teacher's pattern must not hang a worker on hostile output


def _norm_case(text: str, comparison: Comparison) -> str:
    return text if comparison.case_sensitive else text.casefold()


def _whitespace_lines(text: str) -> list[str]:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _numbers_match(expected: str, actual: str, comparison: Comparison) -> bool:
    try:
        want, got = float(expected), float(actual)
    except ValueError:
        return expected == actual
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return math.isclose(want, got, rel_tol=comparison.rel_tol, abs_tol=comparison.abs_tol)


def outputs_match(expected: str, actual: str, comparison: Comparison) -> bool:
    """Whether `actual` output satisfies `expected` under `comparison`."""
    expected, actual = _norm_case(expected, comparison), _norm_case(actual, comparison)
    mode = comparison.mode
    if mode is CompareMode.EXACT:
        return expected == actual
    if mode is CompareMode.WHITESPACE:
        return _whitespace_lines(expected) == _whitespace_lines(actual)
    if mode is CompareMode.TOKENS:
        return expected.split() == actual.split()
    if mode is CompareMode.NUMERIC:
        want, got = expected.split(), actual.split()
        return len(want) == len(got) and all(
            _numbers_match(w, g, comparison) for w, g in zip(want, got, strict=True)
        )
    if mode is CompareMode.REGEX:
        flags = 0 if comparison.case_sensitive else regex.IGNORECASE
        try:
            return regex.fullmatch(expected, actual, flags=flags | regex.DOTALL,
                                   timeout=REGEX_TIMEOUT_S) is not None
        except TimeoutError:
            return False
    raise AssertionError(mode)
