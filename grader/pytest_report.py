"""The pytest report of a unit-test run: JSON lines written inside the sandbox, read with bounds.

The plugin writes one line per test outcome, but the student's code runs in the same
interpreter and can write anything to the file: every line is hostile input. A line that is
too long, too deep, not JSON or not shaped like an entry is skipped; reading stops after
`MAX_ENTRIES` lines; numbers that are not finite count as zero.
"""

from __future__ import annotations

import math
import posixpath
from dataclasses import dataclass

from grader.bounded import Bounds, loads_json

MAX_ENTRIES = 10_000
# An entry is a flat object of four fields, its message cut to 2000 characters by the plugin.
LINE_BOUNDS = Bounds(max_bytes=64 * 1024, max_depth=2, max_nodes=64)


@dataclass(frozen=True)
class ReportEntry:
    """One test outcome: the test function it belongs to, how it ended, how long it took."""

    function: str
    outcome: str
    duration_s: float
    message: str

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"


@dataclass(frozen=True)
class PytestReport:
    """Outcomes by test function (`Class::test`, parameters dropped) and a collection error."""

    entries: dict[str, list[ReportEntry]]
    collect_error: str


def function_of(nodeid: str) -> str:
    """The test function a pytest node id belongs to: `t.py::C::test[1]` is `C::test`."""
    parts = posixpath.normpath(nodeid).split("::")[1:]
    if parts:
        parts[-1] = parts[-1].split("[", 1)[0]
    return "::".join(parts)


def _duration(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if math.isfinite(value) and value >= 0 else 0.0


def _entry(line: bytes) -> ReportEntry | None:
    try:
        data = loads_json(line, LINE_BOUNDS)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodeid"), str):
        return None
    outcome, message = data.get("outcome"), data.get("message", "")
    return ReportEntry(
        function=function_of(data["nodeid"]),
        outcome=outcome if isinstance(outcome, str) else "",
        duration_s=_duration(data.get("duration")),
        message=message if isinstance(message, str) else "",
    )


def read_pytest_report(data: bytes | None) -> PytestReport:
    """The entries of a report file as the sandbox returned it (None if it was not written)."""
    entries: dict[str, list[ReportEntry]] = {}
    collect_error = ""
    for line in (data or b"").split(b"\n", MAX_ENTRIES)[:MAX_ENTRIES]:
        entry = _entry(line)
        if entry is None:
            continue
        if entry.outcome == "collect_error":
            collect_error = entry.message
        else:
            entries.setdefault(entry.function, []).append(entry)
    return PytestReport(entries=entries, collect_error=collect_error)
