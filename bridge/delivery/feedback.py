"""The feedback comment a student reads in Moodle, as HTML built from the student view.

Every piece of text comes from the submission or the exercise and is escaped.
"""

from __future__ import annotations

from html import escape

from grader import GradingResult, RunStatus, TestStatus, Visibility

STATUS_TEXT = {
    TestStatus.PASSED: "passed", TestStatus.FAILED: "wrong output",
    TestStatus.TIMEOUT: "time limit exceeded", TestStatus.MEMORY: "memory limit exceeded",
    TestStatus.OUTPUT_LIMIT: "too much output", TestStatus.RUNTIME_ERROR: "runtime error",
    TestStatus.COMPILE_ERROR: "did not compile", TestStatus.NOT_RUN: "not run",
}
MAX_EXCERPT = 2000


def _excerpt(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_EXCERPT else text[:MAX_EXCERPT] + "\n…"


def render_feedback(result: GradingResult, *, after_due_date: bool) -> str:
    """HTML: headline score, compile errors, a table of visible tests, counts of hidden ones."""
    view = result.student_view(after_due_date)
    parts = [f"<p><strong>Autograder: {view.score:g} / {view.max_score:g} points</strong></p>"]
    if view.message:
        parts.append(f"<p>{escape(view.message)}</p>")
    if view.status is RunStatus.COMPILE_ERROR or view.compile_output:
        parts.append("<p>Compiler output:</p>"
                     f"<pre>{escape(_excerpt(view.compile_output))}</pre>")
    shown = [t for t in view.tests if t.visibility is Visibility.VISIBLE
             or (t.visibility is Visibility.AFTER_DUE_DATE and after_due_date)]
    hidden = [t for t in view.tests if t not in shown]
    if shown:
        rows = []
        for test in shown:
            detail = escape(test.message)
            status = STATUS_TEXT.get(test.status, str(test.status))
            if test.status is not TestStatus.PASSED and test.expected is not None:
                detail += (f"<br>Expected:<pre>{escape(_excerpt(test.expected))}</pre>"
                           f"Got:<pre>{escape(_excerpt(test.actual))}</pre>")
            elif test.status is not TestStatus.PASSED and test.actual:
                # A unit test (pytest, JUnit): its assertion is the only hint the student gets.
                detail += f"<br>Output:<pre>{escape(_excerpt(test.actual))}</pre>"
                if test.status is TestStatus.FAILED:
                    status = "failed"
            if test.status is not TestStatus.PASSED and test.stderr:
                detail += f"<br>Errors:<pre>{escape(_excerpt(test.stderr))}</pre>"
            rows.append(f"<tr><td>{escape(test.name)}</td>"
                        f"<td>{escape(status)}</td>"
                        f"<td>{test.score:g} / {test.max_score:g}</td><td>{detail}</td></tr>")
        parts.append('<table class="generaltable"><thead><tr><th>Test</th><th>Result</th>'
                     "<th>Points</th><th>Details</th></tr></thead><tbody>"
                     + "".join(rows) + "</tbody></table>")
    if hidden:
        passed = sum(t.status is TestStatus.PASSED for t in hidden)
        points = sum(t.score for t in hidden)
        total = sum(t.max_score for t in hidden)
        parts.append(f"<p>Hidden tests: {passed} of {len(hidden)} passed "
                     f"({points:g} / {total:g} points).</p>")
    return "\n".join(parts)
