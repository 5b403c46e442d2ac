"""The pytest report comes from inside the sandbox: hostile lines are skipped, never a crash."""

from __future__ import annotations

import json

from grader.pytest_report import MAX_ENTRIES, function_of, read_pytest_report


def line(**entry: object) -> bytes:
    return json.dumps({"nodeid": "test_s.py::test_a", "outcome": "passed", "duration": 0.5,
                       "message": "", **entry}).encode()


def test_well_formed_report_is_read() -> None:
    report = read_pytest_report(b"\n".join([
        line(), line(nodeid="test_s.py::test_b[1-2]", outcome="failed", message="boom"),
        line(nodeid="test_s.py", outcome="collect_error", message="ImportError"),
    ]))
    assert [e.duration_s for e in report.entries["test_a"]] == [0.5]
    assert report.entries["test_b"][0].message == "boom"
    assert not report.entries["test_b"][0].passed
    assert report.collect_error == "ImportError"


def test_hostile_lines_are_skipped() -> None:
    hostile = [
        b"[" * 100_000,                                   # a RecursionError for json.loads
        b'{"nodeid": ' + b"[" * 50 + b"]" * 50 + b"}",   # too deep for an entry
        line(message="x" * 100_000),                      # longer than a line may be
        b"\xff\xfe not json",
        b'"just a string"',
        json.dumps({"nodeid": 5}).encode(),
    ]
    report = read_pytest_report(b"\n".join([*hostile, line()]))
    assert list(report.entries) == ["test_a"] and report.collect_error == ""


def test_odd_field_values_become_harmless() -> None:
    report = read_pytest_report(b"\n".join([
        line(duration="abc"), line(duration=1e400), line(duration=-5), line(duration=True),
        line(outcome=["passed"], message={"a": 1}),
    ]))
    entries = report.entries["test_a"]
    assert [e.duration_s for e in entries] == [0.0, 0.0, 0.0, 0.0, 0.5]
    assert entries[4].outcome == "" and entries[4].message == "" and not entries[4].passed


def test_reading_stops_after_the_entry_limit() -> None:
    report = read_pytest_report(b"\n".join([line()] * (MAX_ENTRIES + 500)))
    assert len(report.entries["test_a"]) == MAX_ENTRIES


def test_missing_report_and_node_ids() -> None:
    assert read_pytest_report(None).entries == {}
    assert function_of("test_s.py::TestX::test_y[a-b]") == "TestX::test_y"
    assert function_of("./dir//test_s.py::test_z") == "test_z"
