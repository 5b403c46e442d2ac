"""The JUnit report of a unit-test run: the console launcher's XML, read with bounds.

The launcher writes it inside the JVM the student's code runs in, so the file is hostile
input like the pytest report: it is parsed as a stream (expat, no tree is built), a document
type declaration (the only way to entities, and so to an entity bomb) ends the parse, and so
do nesting deeper than `MAX_DEPTH` or more than `MAX_ELEMENTS` elements. What was read
before a refusal or a truncation is kept: a test missing from it counts as not run.
"""

from __future__ import annotations

import contextlib
import math
from xml.parsers import expat

from grader.pytest_report import PytestReport, ReportEntry

MAX_DEPTH = 16
MAX_ELEMENTS = 50_000
MAX_MESSAGE = 2000
FRAMEWORK_FRAMES = ("at org.junit.", "at java.base/", "at jdk.internal.", "... ")
OUTCOMES = {"failure": "failed", "error": "error", "skipped": "skipped"}


class _Refused(Exception):
    """The document went over a bound; stop reading it."""


def method_of(legacy_name: str) -> str:
    """The test method a report's test case belongs to: `add(int, int)[2]` is `add`."""
    return legacy_name.split("(", 1)[0].strip()


def _seconds(text: str | None) -> float:
    try:
        value = float(text or 0)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value >= 0 else 0.0


class _Reader:
    def __init__(self) -> None:
        self.entries: dict[str, list[ReportEntry]] = {}
        self.depth = self.elements = 0
        self.case: dict[str, str] | None = None
        self.message: list[str] | None = None  # text of a failure or error, while inside one
        self.kept = 0

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_DEPTH or self.elements > MAX_ELEMENTS:
            raise _Refused
        if tag == "testcase":
            self.case = {"name": attributes.get("name", ""), "time": attributes.get("time", ""),
                         "outcome": "passed", "message": ""}
        elif self.case is not None and tag in OUTCOMES and self.case["outcome"] == "passed":
            self.case["outcome"] = OUTCOMES[tag]
            self.case["message"] = attributes.get("message", "")[:MAX_MESSAGE]
            if tag != "skipped":
                self.message, self.kept = [], 0

    def text(self, data: str) -> None:
        if self.message is not None and self.kept < MAX_MESSAGE:
            self.message.append(data[:MAX_MESSAGE - self.kept])
            self.kept += len(self.message[-1])

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.case is None:
            return
        if tag in ("failure", "error") and self.message is not None:
            body = _without_framework_frames("".join(self.message).strip())
            if body:
                self.case["message"] = body[:MAX_MESSAGE]
            self.message = None
        elif tag == "testcase":
            case, self.case = self.case, None
            name = method_of(case["name"])
            if name:
                self.entries.setdefault(name, []).append(ReportEntry(
                    function=name, outcome=case["outcome"], duration_s=_seconds(case["time"]),
                    message=case["message"]))


def _without_framework_frames(trace: str) -> str:
    """A stack trace without JUnit's and the JDK's frames: what is left is the tests'."""
    return "\n".join(line for line in trace.splitlines()
                     if not line.lstrip().startswith(FRAMEWORK_FRAMES))


def _refuse(*_: object) -> None:
    raise _Refused


def read_junit_report(data: bytes | None) -> PytestReport:
    """Outcomes by test method from the XML the sandbox returned (None if none was written)."""
    reader = _Reader()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    with contextlib.suppress(_Refused, expat.ExpatError):  # keep the cases read before it
        parser.Parse(data or b"", True)
    return PytestReport(entries=reader.entries, collect_error="")
