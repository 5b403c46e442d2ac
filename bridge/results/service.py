"""One activity's results per student and per test, a page of students at a time.

The JSON page, the CSV page and the pass-rate table are built from the same rows: each
student's newest graded item (for a quiz, each linked question of the newest attempt).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from bridge.delivery.models import DeliveryState
from bridge.intake.models import ActivityKind, IntakeItem, ItemKind
from bridge.results.repository import ResultsRepository
from bridge.results.schemas import PassRate, PassRates, ResultsPage, StudentResult, TestOutcome
from bridge.submissions.repository import SubmissionRepository

MAX_PAGE = 500
# Pass rates read the whole activity in pages; a course is far below this.
MAX_STUDENTS = 20_000
CSV_COLUMNS = ["user_id", "attempt_number", "question_bank_entry_id", "exercise_version",
               "status", "score", "max_score", "grade", "teacher_override", "test",
               "visibility", "test_status", "test_score", "test_max_score"]
KINDS = {ActivityKind.ASSIGN: [ItemKind.ASSIGN_SUBMISSION],
         ActivityKind.QUIZ: [ItemKind.QUIZ_QUESTION]}


def page(session: Session, *, site: str, activity: ActivityKind, cmid: int,
         after_user_id: int = 0, limit: int = 100) -> ResultsPage:
    """Students with a user id above `after_user_id`, at most `limit` of them."""
    limit = max(1, min(limit, MAX_PAGE))
    repo = ResultsRepository(session)
    kinds = KINDS[activity]
    users = repo.users_after(site, kinds, cmid, after_user_id, limit)
    latest: dict[tuple[int, int], IntakeItem] = {}
    for item in repo.items_of(site, kinds, cmid, users) if users else []:
        latest.setdefault((item.user_id, item.question_bank_entry_id), item)
    ids = [i.submission_id for i in latest.values() if i.submission_id is not None]
    results = SubmissionRepository(session).latest_results(ids)
    pushed = repo.pushed_grades(ids)
    submissions = repo.submissions(ids)
    students = []
    for item in latest.values():
        assert item.submission_id is not None  # the query asks for it
        result, delivery = results.get(item.submission_id), pushed.get(item.submission_id)
        status, version = submissions[item.submission_id]
        document: dict[str, Any] = result.document if result else {}
        students.append(StudentResult(
            user_id=item.user_id, item=item.id, attempt_number=item.attempt_number,
            question_bank_entry_id=item.question_bank_entry_id, exercise_version=version,
            status=status, score=result.score if result else None,
            max_score=result.max_score if result else None,
            grade=delivery.grade if delivery else None,
            teacher_override=bool(delivery and delivery.state is DeliveryState.TEACHER_OVERRIDE),
            graded_at=result.created_at if result else None,
            tests=[_test(t) for t in document.get("tests", [])]))
    return ResultsPage(site=site, cmid=cmid, students=students,
                       next_after_user_id=users[-1] if len(users) == limit else None)


def _test(raw: dict[str, Any]) -> TestOutcome:
    return TestOutcome(name=str(raw.get("name", "")), visibility=str(raw.get("visibility", "")),
                       status=str(raw.get("status", "")), score=float(raw.get("score") or 0),
                       max_score=float(raw.get("max_score") or 0))


def pass_rates(session: Session, *, site: str, activity: ActivityKind, cmid: int) -> PassRates:
    """How many students passed each test of the activity, from the same rows as page()."""
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    order: list[tuple[int, str]] = []
    students, after = 0, 0
    while students < MAX_STUDENTS:
        found = page(session, site=site, activity=activity, cmid=cmid, after_user_id=after,
                     limit=MAX_PAGE)
        for student in found.students:
            for test in student.tests:
                key = (student.question_bank_entry_id, test.name)
                if key not in counts:
                    order.append(key)
                counts[key][0] += test.status == "passed"
                counts[key][1] += 1
        students += len({s.user_id for s in found.students})
        if found.next_after_user_id is None:
            break
        after = found.next_after_user_id
    return PassRates(site=site, cmid=cmid, students=students, tests=[
        PassRate(question_bank_entry_id=entry, test=name, passed=counts[(entry, name)][0],
                 total=counts[(entry, name)][1],
                 rate=round(counts[(entry, name)][0] / counts[(entry, name)][1], 4))
        for entry, name in order])


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts with one of these as a formula (test names and
    # statuses come from exercise files, which a teacher may have copied from anywhere).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(found: ResultsPage, *, header: bool = True) -> str:
    """The page as CSV: one line per student and test (one line for a student with none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for s in found.students:
        head = [s.user_id, s.attempt_number, s.question_bank_entry_id, s.exercise_version,
                s.status, s.score, s.max_score, s.grade, int(s.teacher_override)]
        tests: list[TestOutcome | None] = [*s.tests] or [None]
        for test in tests:
            tail = ["", "", "", "", ""] if test is None else [
                test.name, test.visibility, test.status, test.score, test.max_score]
            writer.writerow([_cell(v) for v in head + tail])
    return out.getvalue()
