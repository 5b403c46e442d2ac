"""Intake of gradable items: notifications and reconciliation converge on one item, then fetch.

Whichever arrives first, a notification or a reconciliation sweep, makes the one item of a
(site, kind, Moodle id, attempt); the other finds it (a unique constraint settles a race) and
queues nothing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bridge.config import get_settings
from bridge.db import session_scope
from bridge.exercises import service as exercises
from bridge.intake import quiz
from bridge.intake.fetch import ItemRef, Superseded, fetch_assign_files
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.intake.repository import IntakeRepository
from bridge.intake.schemas import Notification
from bridge.moodle import AttemptNotFinished, MoodleClient, MoodleError, client_for_site
from bridge.moodle.encoding import redact
from bridge.submissions import service as submissions
from bridge.worker.jobs import enqueue_job
from grader import SubmissionRejected

log = logging.getLogger(__name__)

FETCH_ITEM = "bridge.intake.fetch_item"


# -- recording ---------------------------------------------------------------------------------

def take_in(session: Session, candidate: IntakeItem) -> tuple[IntakeItem, bool]:
    """The one item of `candidate`'s Moodle submission attempt: (item, True) when it is new.

    A new item is inserted and its fetch queued; otherwise the existing one is returned
    untouched. A concurrent insert of the same attempt loses on the unique constraint and gets
    the winner.
    """
    repo = IntakeRepository(session)
    key = (candidate.site, candidate.kind, candidate.item_id, candidate.attempt_number)
    existing = repo.by_moodle_id(*key)
    if existing is not None:
        return existing, False
    if repo.insert_unique(candidate):
        enqueue_job(session, FETCH_ITEM, str(candidate.id))
        return candidate, True
    won = repo.by_moodle_id(*key) or (
        repo.by_event(candidate.site, candidate.event_id) if candidate.event_id else None)
    assert won is not None  # the insert failed on one of the two unique constraints
    return won, False


def record_notification(session: Session, *, notification: Notification
                        ) -> tuple[IntakeItem, bool]:
    """Record a notification once; (item, True) when it repeats what is already recorded.

    The same event (event_id) is a redelivery. Another, newer event for the same attempt (a
    student saving again, a submission reverted to draft and resubmitted) refetches the item,
    but only when the item's time is an event's too: once reconciliation recorded Moodle's
    `timemodified` (event_id None), an event's time is not comparable with it (Moodle stamps
    the event a moment after the save), so the notification is a duplicate and later sweeps
    keep the item current.
    """
    repo = IntakeRepository(session)
    redelivered = repo.by_event(notification.site, notification.event_id)
    if redelivered is not None:
        return redelivered, True
    item, created = take_in(session, IntakeItem(
        site=notification.site, kind=ItemKind(notification.kind),
        event_id=notification.event_id, source="notification",
        course_id=notification.course_id, cmid=notification.cmid,
        instance_id=notification.instance_id, item_id=notification.item_id,
        user_id=notification.user_id, attempt_number=notification.attempt_number,
        submitted_at=notification.submitted_at,
    ))
    if created:
        return item, False
    if item.event_id is not None and notification.submitted_at > item.submitted_at:
        refetch(session, item, notification.submitted_at, event_id=notification.event_id)
        return item, False
    return item, True


def notified_item(session: Session, *, notification: Notification) -> IntakeItem | None:
    """The item a notification was recorded as (its event, or its attempt if refetched since)."""
    repo = IntakeRepository(session)
    return repo.by_event(notification.site, notification.event_id) or repo.by_moodle_id(
        notification.site, ItemKind(notification.kind), notification.item_id,
        notification.attempt_number)


def refetch(session: Session, item: IntakeItem, submitted_at: int,
            *, event_id: str | None) -> None:
    """Fetch an item again: Moodle holds a newer save of the same attempt."""
    item.status, item.error, item.submitted_at = IntakeStatus.RECEIVED, None, submitted_at
    item.event_id = event_id
    enqueue_job(session, FETCH_ITEM, str(item.id))


# -- fetching (the job) ------------------------------------------------------------------------

def fetch_item(item_id: uuid.UUID, *, factory: sessionmaker[Session] | None = None,
               client: MoodleClient | None = None) -> IntakeStatus:
    """Fetch an item's files from Moodle and hand them to grading; idempotent.

    Retryable Moodle errors propagate (the task retries); permanent ones mark the item.
    """
    with session_scope(factory) as session:
        item = IntakeRepository(session).get(item_id)
        if item is None:
            raise LookupError(item_id)
        kind = item.kind
    if kind is ItemKind.QUIZ_ATTEMPT:
        return quiz.fetch_attempt(item_id, factory=factory, client=client)
    return _fetch_assignment(item_id, factory=factory, client=client)


def _fetch_assignment(item_id: uuid.UUID, *, factory: sessionmaker[Session] | None,
                      client: MoodleClient | None) -> IntakeStatus:
    settings = get_settings()
    with session_scope(factory) as session:
        repo = IntakeRepository(session)
        item = repo.get(item_id)
        if item is None:
            raise LookupError(item_id)
        if item.status is not IntakeStatus.RECEIVED:
            return item.status
        if item.kind is not ItemKind.ASSIGN_SUBMISSION:
            # Question items are made fetched with their attempt and never fetched themselves.
            item.status = IntakeStatus.UNSUPPORTED
            return item.status
        link = repo.link(item.site, item.kind.activity, item.cmid)
        if link is None or not link.enabled:
            item.status, item.error = IntakeStatus.NO_EXERCISE, "no exercise is linked"
            return item.status
        exercise_id = link.exercise_id
        # Graded by the version current when the student submitted (Moodle's time of the
        # save, in whole seconds: the end of that second), even when the teacher uploads a
        # new one before the files are fetched.
        version = exercises.version_at(
            session, exercise_id=exercise_id,
            at=datetime.fromtimestamp(item.submitted_at + 1, UTC)).number
        entrypoint = exercises.load(
            session, version_id=exercises.version(
                session, exercise_id=exercise_id, number=version).id
        ).spec.entrypoint
        ref = ItemRef(item.site, item.instance_id, item.item_id, item.user_id,
                      item.attempt_number)
        submitted_at = item.submitted_at

    outcome, error, files = IntakeStatus.FETCHED, None, {}
    own_client = client is None
    moodle = client or client_for_site(ref.site)
    try:
        files = fetch_assign_files(moodle, ref, entrypoint=entrypoint,
                                   max_files=settings.max_submission_files,
                                   max_bytes=settings.max_submission_bytes)
    except Superseded as exc:
        outcome, error = IntakeStatus.SUPERSEDED, str(exc)
    except MoodleError as exc:
        if exc.retryable:
            raise
        outcome, error = IntakeStatus.FAILED, str(exc)
    finally:
        if own_client:
            moodle.close()

    with session_scope(factory) as session:
        item = IntakeRepository(session).get_for_update(item_id)
        if item is None or item.status is not IntakeStatus.RECEIVED \
                or item.submitted_at != submitted_at:
            return item.status if item else IntakeStatus.FAILED  # someone else moved it on
        if outcome is IntakeStatus.FETCHED:
            try:
                submission = submissions.create(session, exercise_id=exercise_id, files=files,
                                                version=version)
            except SubmissionRejected as exc:
                outcome, error = IntakeStatus.REJECTED, str(exc)
            else:
                item.submission_id = submission.id
        item.status, item.error = outcome, error
        log.info("item %s (%s %s) %s", item.id, item.site, item.kind, outcome)
        return outcome


def gave_up_reason(exc: MoodleError) -> str:
    """Why the last fetch retry gave up, in words that name the cause."""
    if isinstance(exc, AttemptNotFinished):
        # Moodle answered every time: the attempt stayed unfinished (reopened, abandoned, a
        # preview), which is no outage.
        return f"the quiz attempt never became finished in Moodle while the bridge asked: {exc}"
    return f"Moodle unreachable: {exc}"


def mark_fetch_failed(item_id: uuid.UUID, error: str,
                      factory: sessionmaker[Session] | None = None) -> None:
    """Give up on fetching after the last retry, saying why."""
    with session_scope(factory) as session:
        item = IntakeRepository(session).get(item_id)
        if item is not None and item.status is IntakeStatus.RECEIVED:
            item.status, item.error = IntakeStatus.FAILED, redact(error)[:2000]
