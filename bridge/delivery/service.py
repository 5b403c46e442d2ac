"""Pushing grades to Moodle through the outbox: idempotent, retried, never over a teacher.

A graded round of a Moodle item gets one outbox row, written in the transaction that stores the
result. The delivery job reads Moodle's current grade first: if a teacher changed what we
pushed, the row becomes `teacher_override` and Moodle is left alone.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from bridge.config import get_settings
from bridge.db import session_scope, utcnow
from bridge.delivery.feedback import render_feedback
from bridge.delivery.metrics import DELIVERIES_PARKED, DELIVERIES_WOKEN, DELIVERY_RETRIES
from bridge.delivery.models import OPEN_STATES, Delivery, DeliveryState
from bridge.delivery.questions import QuestionPush, push_question, question_push
from bridge.delivery.repository import DeliveryRepository
from bridge.history import service as history
from bridge.intake.models import IntakeItem, ItemKind
from bridge.intake.repository import IntakeRepository
from bridge.moodle import MoodleClient, MoodleError, client_for_site
from bridge.moodle.errors import MoodlePermanentError, MoodleResponseError
from bridge.submissions.models import SubmissionStatus
from bridge.submissions.repository import SubmissionRepository
from bridge.worker.jobs import enqueue_job
from grader import GradingResult

log = logging.getLogger(__name__)

DELIVER = "bridge.delivery.deliver"
SWEEP = "bridge.delivery.sweep"
GRADE_TOLERANCE = 0.005  # Moodle keeps 5 decimals; we push 2
SWEEP_GRACE = timedelta(minutes=2)
# A delivery that reached a site wakes this many of the site's deliveries that are backing off
# (each of which wakes as many when it succeeds): after an outage the queue drains in a few
# rounds, not at the pace of its longest backoff, and a site that is still failing sees at
# most this many extra tries per success. Those whose own retry is due sooner are left be.
WAKE_ON_SUCCESS = 10
WAKE_MARGIN = timedelta(seconds=5)


class DeliveryNotFound(LookupError):
    pass


class NotRetryable(ValueError):
    pass


@dataclass(frozen=True)
class Attempt:
    """What one delivery try did, and when to try again if it should."""

    state: DeliveryState
    delay_s: float | None = None
    grade: float | None = None
    max_grade: float | None = None  # the scale `grade` is on: the assignment's, the question's
    error: str | None = None


def on_graded(session: Session, *, submission_id: uuid.UUID, grading_round: int) -> None:
    """Called in the transaction that stores a result: queue its push if it came from Moodle."""
    item = IntakeRepository(session).by_submission(submission_id)
    if item is None:
        return
    repo = DeliveryRepository(session)
    if repo.for_round(submission_id, grading_round) is not None:
        return
    delivery = repo.add(Delivery(item_id=item.id, submission_id=submission_id,
                                 grading_round=grading_round, next_attempt_at=utcnow()))
    enqueue_job(session, DELIVER, str(delivery.id))


def backoff(attempt: int, *, base_s: float, max_s: float, rng: random.Random | None = None
            ) -> float:
    """Exponential backoff with jitter: about base·2^(n-1), spread by ±50 %."""
    raw = min(base_s * 2 ** max(attempt - 1, 0), max_s)
    return float(raw * (rng or random).uniform(0.5, 1.5))


def scale(score: float, max_score: float, max_grade: float) -> float:
    """A score on the assignment's grade scale, to two decimals."""
    if max_score <= 0:
        return 0.0
    return round(min(max(score / max_score, 0.0), 1.0) * max_grade, 2)


@dataclass(frozen=True)
class GradePush:
    """What one delivery try sends to Moodle, read in a transaction and used outside it."""

    site: str
    kind: ItemKind
    course_id: int
    instance_id: int
    user_id: int
    attempt_number: int
    result: GradingResult
    last_pushed: float | None
    attempts: int


def deliver(delivery_id: uuid.UUID, *, factory: sessionmaker[Session] | None = None,
            client: MoodleClient | None = None, rng: random.Random | None = None) -> Attempt:
    """Try one delivery now; returns what happened (RETRYING carries the delay)."""
    with session_scope(factory) as session:
        prepared = _prepare(session, delivery_id)
        if isinstance(prepared, Attempt):
            return prepared
        job = prepared

    own_client = client is None
    moodle = client or client_for_site(job.site)
    try:
        attempt = _push_any(moodle, job)
    except MoodleError as exc:
        attempt = _failed(exc, job.attempts + 1, rng)
    finally:
        if own_client:
            moodle.close()

    with session_scope(factory) as session:
        return _record(session, delivery_id, attempt)


def _push_any(moodle: MoodleClient, job: GradePush | QuestionPush) -> Attempt:
    if isinstance(job, QuestionPush):
        decided = push_question(moodle, job)
        return Attempt(decided.state, grade=decided.grade, max_grade=decided.max_grade,
                       error=decided.error)
    return _push(moodle, job)


def _prepare(session: Session, delivery_id: uuid.UUID) -> GradePush | QuestionPush | Attempt:
    repo = DeliveryRepository(session)
    delivery = repo.get(delivery_id)
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    if delivery.state not in OPEN_STATES:
        return Attempt(delivery.state)
    item = IntakeRepository(session).get(delivery.item_id)
    submission = SubmissionRepository(session).get(delivery.submission_id)
    assert item is not None and submission is not None
    # A newer assignment attempt replaces the older one; each quiz attempt is graded on its own.
    if item.submission_id != delivery.submission_id \
            or submission.grading_round != delivery.grading_round \
            or (item.kind is ItemKind.ASSIGN_SUBMISSION and repo.newer_attempt_exists(item)):
        return _record(session, delivery_id, Attempt(DeliveryState.SUPERSEDED))
    result = SubmissionRepository(session).result_for_round(delivery.submission_id,
                                                            delivery.grading_round)
    assert result is not None
    if item.kind is ItemKind.QUIZ_QUESTION:
        return question_push(item, GradingResult.model_validate(result.document),
                             delivery.attempts)
    if item.kind is not ItemKind.ASSIGN_SUBMISSION:
        return _record(session, delivery_id, Attempt(
            DeliveryState.PARKED, error=f"delivery of {item.kind} is not supported"))
    last = repo.last_delivered(item.id)
    return GradePush(site=item.site, kind=item.kind, course_id=item.course_id,
                instance_id=item.instance_id, user_id=item.user_id,
                attempt_number=item.attempt_number,
                result=GradingResult.model_validate(result.document),
                last_pushed=last.grade if last else None, attempts=delivery.attempts)


def _push(moodle: MoodleClient, job: GradePush) -> Attempt:
    assignments = moodle.get_assignments([job.course_id])
    assignment = assignments.find(job.instance_id)
    if assignment is None:
        warnings = "; ".join(w.message for w in assignments.warnings)
        raise MoodleResponseError(f"assignment {job.instance_id} is not visible to the bridge"
                                  + (f" ({warnings})" if warnings else ""),
                                  function="mod_assign_get_assignments")
    if assignment.grade <= 0:
        raise MoodlePermanentError("the assignment is graded with a scale, not points",
                                   function="mod_assign_get_assignments")
    max_grade = float(assignment.grade)
    grade = scale(job.result.score, job.result.max_score, max_grade)
    current = moodle.get_grades([job.instance_id]).latest(job.instance_id, job.user_id)
    if current is not None and current.attemptnumber > job.attempt_number:
        return Attempt(DeliveryState.SUPERSEDED, grade=grade, max_grade=max_grade)
    if current is not None and current.attemptnumber == job.attempt_number and current.is_set:
        assert current.grade is not None
        # Set by the bridge's own user, it is a push whose record was lost (the database went
        # away before its commit), not a teacher's change: pushed again, idempotently.
        if (job.last_pushed is None or abs(current.grade - job.last_pushed) > GRADE_TOLERANCE) \
                and current.grader != moodle.get_site_user_id():
            return Attempt(DeliveryState.TEACHER_OVERRIDE, grade=grade, max_grade=max_grade,
                           error=f"Moodle holds {current.grade:g}, we last pushed "
                                 f"{'nothing' if job.last_pushed is None else job.last_pushed}")
    after_due = bool(assignment.duedate) and time.time() > assignment.duedate
    moodle.save_grade(assignment_id=job.instance_id, user_id=job.user_id, grade=grade,
                      attempt_number=job.attempt_number,
                      feedback_html=render_feedback(job.result, after_due_date=after_due),
                      apply_to_all=False)
    return Attempt(DeliveryState.DELIVERED, grade=grade, max_grade=max_grade)


def _failed(exc: MoodleError, attempts: int, rng: random.Random | None) -> Attempt:
    settings = get_settings()
    if exc.retryable and attempts < settings.delivery_max_attempts:
        delay = backoff(attempts, base_s=settings.delivery_backoff_s,
                        max_s=settings.delivery_backoff_max_s, rng=rng)
        return Attempt(DeliveryState.RETRYING, delay_s=delay, error=str(exc))
    return Attempt(DeliveryState.PARKED, error=str(exc))


def _record(session: Session, delivery_id: uuid.UUID, attempt: Attempt) -> Attempt:
    repo = DeliveryRepository(session)
    delivery = repo.get_for_update(delivery_id)
    assert delivery is not None
    if delivery.state not in OPEN_STATES:
        return Attempt(delivery.state)  # another run settled it meanwhile
    now = utcnow()
    delivery.state, delivery.last_error = attempt.state, attempt.error
    if attempt.grade is not None:
        delivery.grade, delivery.max_grade = attempt.grade, attempt.max_grade
    if attempt.state in (DeliveryState.RETRYING, DeliveryState.PARKED, DeliveryState.DELIVERED):
        delivery.attempts += 1
    if attempt.state is DeliveryState.RETRYING:
        assert attempt.delay_s is not None
        delivery.next_attempt_at = now + timedelta(seconds=attempt.delay_s)
        DELIVERY_RETRIES.inc()
    else:
        delivery.next_attempt_at = None
    if attempt.state is DeliveryState.DELIVERED:
        delivery.delivered_at = now
        submission = SubmissionRepository(session).get(delivery.submission_id)
        if submission is not None and submission.status is SubmissionStatus.GRADED \
                and submission.grading_round == delivery.grading_round:
            submission.status = SubmissionStatus.DELIVERED
    session.flush()
    if attempt.state is DeliveryState.DELIVERED:
        _wake_site(session, delivery, now)
    if attempt.state in (DeliveryState.DELIVERED, DeliveryState.TEACHER_OVERRIDE):
        history.record_delivery(
            session, item_id=delivery.item_id, submission_id=delivery.submission_id,
            grading_round=delivery.grading_round, grade=attempt.grade, moodle_said=attempt.error,
            overridden=attempt.state is DeliveryState.TEACHER_OVERRIDE)
    if attempt.state is DeliveryState.PARKED:
        log.warning("delivery %s parked: %s", delivery_id, attempt.error)
    refresh_parked_gauge(session)
    return attempt


def _wake_site(session: Session, delivered: Delivery, now: datetime) -> None:
    """The site answers again: try some of its backed-off deliveries now (WAKE_ON_SUCCESS).

    Each gets a job of its own, sent after this commit. The job its backoff scheduled still
    runs later and finds the row delivered (a no-op), or tries once more if this try failed.
    """
    item = IntakeRepository(session).get(delivered.item_id)
    assert item is not None  # a foreign key
    woken = DeliveryRepository(session).waiting_on_site(item.site, now + WAKE_MARGIN,
                                                        WAKE_ON_SUCCESS)
    for waiting in woken:
        waiting.next_attempt_at = now
        enqueue_job(session, DELIVER, str(waiting.id))
    if woken:
        session.flush()
        DELIVERIES_WOKEN.inc(len(woken))


def refresh_parked_gauge(session: Session) -> int:
    """Set bridge_deliveries_parked from the table."""
    parked = DeliveryRepository(session).count_parked()
    DELIVERIES_PARKED.set(parked)
    return parked


def retry(session: Session, *, delivery_id: uuid.UUID) -> tuple[Delivery, IntakeItem]:
    """An administrator sends a parked delivery again, with a fresh set of retries."""
    delivery = DeliveryRepository(session).get_for_update(delivery_id)
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    if delivery.state is not DeliveryState.PARKED:
        raise NotRetryable(f"only parked deliveries are retried; this one is {delivery.state}")
    delivery.state, delivery.attempts, delivery.next_attempt_at = (
        DeliveryState.PENDING, 0, utcnow())
    session.flush()
    refresh_parked_gauge(session)
    enqueue_job(session, DELIVER, str(delivery.id))
    item = IntakeRepository(session).get(delivery.item_id)
    assert item is not None  # a foreign key
    return delivery, item


def list_deliveries(session: Session, *, state: DeliveryState | None = None,
                    site: str | None = None, limit: int = 100
                    ) -> list[tuple[Delivery, IntakeItem]]:
    """Deliveries, newest first, optionally only one state or one site."""
    rows = DeliveryRepository(session).list_deliveries(state=state, site=site, limit=limit)
    refresh_parked_gauge(session)
    return rows


def requeue_due(session: Session, *, now: datetime | None = None) -> list[uuid.UUID]:
    """Re-send delivery jobs that are due (a retry whose job was lost, a late worker)."""
    # The grace keeps the sweep from racing a job whose countdown is just running out.
    due = DeliveryRepository(session).due((now or utcnow()) - SWEEP_GRACE)
    for delivery_id in due:
        enqueue_job(session, DELIVER, str(delivery_id))
    return due
