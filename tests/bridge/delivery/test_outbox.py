"""The outbox: push, retry with backoff, park, admin retry, and never over a teacher's grade."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bridge.config import get_settings
from bridge.db import utcnow
from bridge.delivery import service
from bridge.delivery.feedback import render_feedback
from bridge.delivery.models import Delivery, DeliveryState
from bridge.intake import links as intake
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.submissions import service as submissions
from bridge.submissions.models import Result, SubmissionStatus
from bridge.submissions.repository import SubmissionRepository
from bridge.worker.jobs import MOODLE_QUEUE
from grader.exercise import Visibility
from grader.results import GradingResult, RunStatus, TestResult, TestStatus
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeGrade, FakeMoodle


def result(score: float, *, name: str = "greets the world") -> GradingResult:
    tests = [
        TestResult(name=name, status=TestStatus.PASSED if score >= 1 else TestStatus.FAILED,
                   score=min(score, 1), max_score=1, visibility=Visibility.VISIBLE,
                   expected="Hello, world!\n", actual="<b>Hi</b>\n"),
        TestResult(name="greets Ada", status=TestStatus.PASSED if score >= 2 else TestStatus.FAILED,
                   score=max(score - 1, 0), max_score=1, visibility=Visibility.HIDDEN,
                   expected="Hello, Ada!\n", actual="secret output"),
    ]
    return GradingResult(status=RunStatus.PASSED if score == 2 else RunStatus.FAILED,
                         score=score, max_score=2, language="python", tests=tests,
                         total_time_s=0.1, image_digest="sha256:test", grader_version="test")


def graded(session: Session, fake: FakeMoodle, score: float, *, user_id: int = 5,
           attempt: int = 0, item: IntakeItem | None = None) -> Delivery:
    """A Moodle item whose submission was just graded: the pipeline's final transaction."""
    link, _ = intake.link_exercise_yaml(session, site=fake.site, activity="assign", cmid=1,
                                        course_id=2, instance_id=1, exercise_yaml=HELLO_EXERCISE)
    submission = submissions.create(session, exercise_id=link.exercise_id,
                                    files={"hello.py": GOOD_HELLO})
    if item is None:
        moodle_sub = fake.add_submission(1, user_id, {"hello.py": GOOD_HELLO},
                                         new_attempt=attempt > 0)
        item = IntakeItem(site=fake.site, kind=ItemKind.ASSIGN_SUBMISSION, course_id=2, cmid=1,
                          instance_id=1, item_id=moodle_sub.id, user_id=user_id,
                          attempt_number=moodle_sub.attempt, submitted_at=1,
                          status=IntakeStatus.FETCHED)
        session.add(item)
    item.submission_id = submission.id
    submission.status = SubmissionStatus.GRADED
    doc = result(score)
    SubmissionRepository(session).add_result(Result(
        submission_id=submission.id, grading_round=1, status=doc.status.value, score=doc.score,
        max_score=doc.max_score, image_digest="sha256:test", grader_version="test",
        document=doc.model_dump(mode="json")))
    service.on_graded(session, submission_id=submission.id, grading_round=1)
    session.commit()
    return session.scalars(select(Delivery).where(Delivery.submission_id == submission.id)).one()


def test_graded_item_is_pushed_scaled_with_feedback(moodle_site: FakeMoodle, session: Session,
                                                    db_factory: sessionmaker,
                                                    client: TestClient) -> None:
    moodle_site.add_assignment(1, cmid=1, course=2, grade=10)
    delivery = graded(session, moodle_site, 1)
    attempt = service.deliver(delivery.id, factory=db_factory)
    assert attempt.state is DeliveryState.DELIVERED and attempt.grade == 5.0
    assert attempt.max_grade == 10.0  # recorded: the grade is out of the assignment's 10
    sent = moodle_site.saved_grades[-1]
    assert (sent["assignmentid"], sent["userid"], sent["grade"]) == ("1", "5", "5")
    assert sent["applytoall"] == "0" and sent["attemptnumber"] == "0"
    feedback = sent["plugindata"]["assignfeedbackcomments_editor"]["text"]
    assert "<td>greets the world</td><td>passed</td><td>1 / 1</td>" in feedback
    assert "Hidden tests: 0 of 1 passed" in feedback and "secret output" not in feedback
    session.expire_all()
    assert SubmissionRepository(session).get(delivery.submission_id).status is SubmissionStatus.DELIVERED
    item = client.get(f"/api/v1/items/{delivery.item_id}").json()
    assert item["status"] == "delivered" and item["grade"] == 5.0
    # The job running twice pushes once.
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert len(moodle_site.saved_grades) == 1


def test_retries_back_off_then_park_then_admin_retry(
        moodle_site: FakeMoodle, session: Session, db_factory: sessionmaker,
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "delivery_max_attempts", 3)
    delivery = graded(session, moodle_site, 2)
    retries = REGISTRY.get_sample_value("bridge_delivery_retries_total") or 0
    moodle_site.outage = 503
    rng = random.Random(1)
    delays = []
    for _ in range(2):
        attempt = service.deliver(delivery.id, factory=db_factory, rng=rng)
        assert attempt.state is DeliveryState.RETRYING
        delays.append(attempt.delay_s)
    assert 15 <= delays[0] <= 45 and 30 <= delays[1] <= 90  # 30 s · 2^(n-1), ±50 % jitter
    assert REGISTRY.get_sample_value("bridge_delivery_retries_total") == retries + 2
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.PARKED
    assert REGISTRY.get_sample_value("bridge_deliveries_parked") == 1

    parked = client.get("/api/v1/deliveries", params={"state": "parked"}).json()
    assert [d["id"] for d in parked] == [str(delivery.id)]
    assert parked[0]["attempts"] == 3 and "HTTP 503" in parked[0]["last_error"]
    assert client.get(f"/api/v1/items/{delivery.item_id}").json()["status"] == "delivery_parked"

    moodle_site.outage = None
    assert client.post(f"/api/v1/deliveries/{delivery.id}/retry").status_code == 202
    assert REGISTRY.get_sample_value("bridge_deliveries_parked") == 0
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert moodle_site.grade_of(1, 5) == 100
    again = client.post(f"/api/v1/deliveries/{delivery.id}/retry")
    assert again.status_code == 409
    assert client.post(f"/api/v1/deliveries/{uuid.uuid4()}/retry").status_code == 404


def test_permanent_refusal_parks_at_once(moodle_site: FakeMoodle, session: Session,
                                         db_factory: sessionmaker) -> None:
    delivery = graded(session, moodle_site, 2)
    moodle_site.token = "test-only-revoked"
    attempt = service.deliver(delivery.id, factory=db_factory)
    assert attempt.state is DeliveryState.PARKED and "invalidtoken" in attempt.error


def test_teacher_change_after_our_push_is_never_overwritten(
        moodle_site: FakeMoodle, session: Session, db_factory: sessionmaker) -> None:
    first = graded(session, moodle_site, 1)
    assert service.deliver(first.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert moodle_site.grade_of(1, 5) == 50
    moodle_site.teacher_sets_grade(1, 5, 75)
    item = session.get(IntakeItem, first.item_id)
    second = graded(session, moodle_site, 2, item=item)  # a regrade of the same attempt
    attempt = service.deliver(second.id, factory=db_factory)
    assert attempt.state is DeliveryState.TEACHER_OVERRIDE
    assert moodle_site.grade_of(1, 5) == 75 and len(moodle_site.saved_grades) == 1


def test_regrade_replaces_our_own_grade(moodle_site: FakeMoodle, session: Session,
                                        db_factory: sessionmaker) -> None:
    first = graded(session, moodle_site, 1)
    service.deliver(first.id, factory=db_factory)
    second = graded(session, moodle_site, 2, item=session.get(IntakeItem, first.item_id))
    assert service.deliver(second.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert moodle_site.grade_of(1, 5) == 100


def test_teacher_grade_before_ours_is_kept(moodle_site: FakeMoodle, session: Session,
                                           db_factory: sessionmaker) -> None:
    delivery = graded(session, moodle_site, 2)
    moodle_site.teacher_sets_grade(1, 5, 40)
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.TEACHER_OVERRIDE
    assert moodle_site.saved_grades == []


def test_our_push_whose_record_was_lost_is_not_a_teacher_change(
        moodle_site: FakeMoodle, session: Session, db_factory: sessionmaker) -> None:
    """The database went away between the push and its commit; the retry finds our grade."""
    lost = graded(session, moodle_site, 1)
    moodle_site.grades[(1, 5, 0)] = FakeGrade(50.0, FakeMoodle.BRIDGE_USER)
    assert service.deliver(lost.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert moodle_site.grade_of(1, 5) == 50

    # The same grade set by a teacher is theirs: who set it decides, not its value.
    other = graded(session, moodle_site, 1, user_id=6)
    moodle_site.teacher_sets_grade(1, 6, 50)
    assert service.deliver(other.id, factory=db_factory).state is DeliveryState.TEACHER_OVERRIDE


def test_new_attempt_supersedes_an_older_delivery(moodle_site: FakeMoodle, session: Session,
                                                  db_factory: sessionmaker) -> None:
    old = graded(session, moodle_site, 1)
    new = graded(session, moodle_site, 2, attempt=1)
    assert service.deliver(old.id, factory=db_factory).state is DeliveryState.SUPERSEDED
    assert service.deliver(new.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert moodle_site.saved_grades[-1]["attemptnumber"] == "1"
    assert moodle_site.grade_of(1, 5) == 100


def test_feedback_shows_a_failed_unit_tests_assertion() -> None:
    # Found on a real Moodle 5.0 site: a pytest/JUnit failure read "wrong output, 1 of 1 cases
    # failed" with the assertion (the result's `actual`, no `expected`) left out.
    unit = TestResult(name="addsLarge", status=TestStatus.FAILED, score=0, max_score=2,
                      visibility=Visibility.VISIBLE, message="1 of 1 cases failed",
                      actual="AssertionFailedError: expected: <4> but was: <-2>")
    doc = result(1).model_copy(update={"tests": [unit]})
    html = render_feedback(doc, after_due_date=False)
    assert "<td>failed</td>" in html and "wrong output" not in html
    assert "Output:<pre>AssertionFailedError: expected: &lt;4&gt; but was: &lt;-2&gt;</pre>" in html


def test_feedback_escapes_and_shows_compile_errors() -> None:
    doc = result(0, name="<script>alert(1)</script>").model_copy(update={
        "status": RunStatus.COMPILE_ERROR, "compile_output": "x.c:1: error: <oops> & more"})
    html = render_feedback(doc, after_due_date=False)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "x.c:1: error: &lt;oops&gt; &amp; more" in html
    assert "0 / 2 points" in html and "Got:<pre>&lt;b&gt;Hi&lt;/b&gt;" in html


def test_a_delivery_that_reaches_the_site_wakes_the_sites_backed_off_ones(
        moodle_site: FakeMoodle, session: Session, db_factory: sessionmaker,
        redis_client: redis.Redis) -> None:
    # Moodle was down: every delivery is backing off, some for minutes. The first one that
    # gets through tries the others of its site now, instead of at the end of their backoff.
    moodle_site.outage = 503
    deliveries = [graded(session, moodle_site, 2, user_id=user) for user in (5, 6, 7, 8)]
    for delivery in deliveries:
        assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.RETRYING
    other_item = IntakeItem(site="another-site", kind=ItemKind.ASSIGN_SUBMISSION, course_id=2,
                            cmid=1, instance_id=1, item_id=999, user_id=9, attempt_number=0,
                            submitted_at=1, status=IntakeStatus.FETCHED)
    session.add(other_item)
    elsewhere = graded(session, moodle_site, 2, item=other_item)
    now = utcnow()
    session.expire_all()
    rows = {d.id: session.get(Delivery, d.id) for d in [*deliveries, elsewhere]}
    for row in rows.values():
        row.state, row.next_attempt_at = DeliveryState.RETRYING, now + timedelta(minutes=8)
    rows[deliveries[3].id].next_attempt_at = now + timedelta(seconds=2)  # its own retry is near
    session.commit()
    woken = REGISTRY.get_sample_value("bridge_deliveries_woken_total") or 0
    queued = redis_client.llen(MOODLE_QUEUE)

    moodle_site.outage = None
    assert service.deliver(deliveries[0].id, factory=db_factory).state is DeliveryState.DELIVERED

    session.expire_all()
    assert REGISTRY.get_sample_value("bridge_deliveries_woken_total") == woken + 2
    assert redis_client.llen(MOODLE_QUEUE) == queued + 2  # a job each, sent after the commit
    for delivery in deliveries[1:3]:
        assert session.get(Delivery, delivery.id).next_attempt_at <= utcnow()
    assert session.get(Delivery, deliveries[3].id).next_attempt_at > utcnow()  # left be
    assert session.get(Delivery, elsewhere.id).next_attempt_at > now + timedelta(minutes=7)
    # The woken ones deliver; the jobs their backoff scheduled then find nothing to do.
    for delivery in deliveries[1:]:
        assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED
        assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert sorted(int(g["userid"]) for g in moodle_site.saved_grades) == [5, 6, 7, 8]
