"""pytest plugin loaded by the runner in unit-test mode: one JSON line per test outcome.

It writes to the file named by GRADER_PYTEST_REPORT, opened before the student's module is
imported. Student code shares this interpreter, so this channel is only as trustworthy as the
student is polite: the worker treats unit-test mode as a teaching aid, not a proctor.
"""

from __future__ import annotations

import json
import os
from typing import Any

_handle: Any = None


def pytest_configure(config: Any) -> None:
    global _handle
    path = os.environ.get("GRADER_PYTEST_REPORT")
    if path:
        _handle = open(path, "w", encoding="utf-8")  # noqa: SIM115


def pytest_runtest_logreport(report: Any) -> None:
    if _handle is None:
        return
    failed_phase = report.failed and report.when in ("setup", "teardown")
    if report.when != "call" and not failed_phase and not report.skipped:
        return
    message = ""
    if report.failed:
        message = getattr(report, "longreprtext", "")[-2000:]
    _handle.write(json.dumps({
        "nodeid": report.nodeid,
        "outcome": "error" if failed_phase else report.outcome,
        "duration": round(report.duration, 4),
        "message": message,
    }) + "\n")
    _handle.flush()


def pytest_collectreport(report: Any) -> None:
    if _handle is not None and report.failed:
        _handle.write(json.dumps({
            "nodeid": report.nodeid, "outcome": "collect_error", "duration": 0,
            "message": str(report.longrepr)[-2000:],
        }) + "\n")
        _handle.flush()
