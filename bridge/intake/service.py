"""Intake logic: record items idempotently, link exercises, fetch files, reconcile, regrade."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bridge.config import get_settings
from bridge.db import session_scope, utcnow
from bridge.exercises import service as exercises
from bridge.exercises.models import ExerciseVersion
from bridge.exercises.repository import ExerciseRepository
from bridge.intake.fetch import ItemRef, Superseded, fetch_assign_files
from bridge.intake.models import (
    ActivityKind,
    ExerciseLink,
    IntakeItem,
    IntakeStatus,
    ItemKind,
    Regrade,
)
from bridge.intake.repository import IntakeRepository
from bridge.intake.schemas import Notification
from bridge.moodle import MoodleClient, MoodleError, client_for_site
from bridge.submissions import service as submissions
from bridge.submissions.repository import SubmissionRepository
from bridge.worker.jobs import enqueue_job
from grader import SPEC_FILE, SubmissionRejected, max_score

log = logging.getLogger(__name__)

FETCH_ITEM = "bridge.intake.fetch_item"
RECONCILE = "bridge.intake.reconcile"
RECEIVED_GRACE = timedelta(minutes=5)
SWEEP_MARGIN_S = 120  # Moodle's clock and ours differ; a sweep overlaps the previous one


class LinkNotFound(LookupError):
    pass


# -- recording ---------------------------------------------------------------------------------

def record_notification(session: Session, *, notification: Notification
                        ) -> tuple[IntakeItem, bool]:
    """Record a notification once; (item, True) when it repeats one already recorded.

    The same event (event_id) is a redelivery. Another event for the same attempt of the same
    item (a student saving again, a submission reverted to draft and resubmitted) refetches
    the item when it is newer than what was recorded.
    """
    repo = IntakeRepository(session)
    kind = ItemKind(notification.kind)
    existing = repo.by_event(notification.site, notification.event_id) or repo.by_moodle_id(
        notification.site, kind, notification.item_id, notification.attempt_number)
    if existing is not None:
        if existing.event_id != notification.event_id \
                and notification.submitted_at > existing.submitted_at:
            _refetch(session, existing, notification.submitted_at, notification.event_id)
            return existing, False
        return existing, True
    item = IntakeItem(
        site=notification.site, kind=kind, event_id=notification.event_id,
        source="notification", course_id=notification.course_id, cmid=notification.cmid,
        instance_id=notification.instance_id, item_id=notification.item_id,
        user_id=notification.user_id, attempt_number=notification.attempt_number,
        submitted_at=notification.submitted_at,
    )
    if not repo.insert_unique(item):
        # A concurrent delivery of the same notification won: acknowledge that one.
        won = repo.by_event(notification.site, notification.event_id) or repo.by_moodle_id(
            notification.site, kind, notification.item_id, notification.attempt_number)
        assert won is not None
        return won, True
    enqueue_job(session, FETCH_ITEM, str(item.id))
    return item, False


def _refetch(session: Session, item: IntakeItem, submitted_at: int,
             event_id: str | None) -> None:
    item.status, item.error, item.submitted_at = IntakeStatus.RECEIVED, None, submitted_at
    if event_id is not None:
        item.event_id = event_id
    enqueue_job(session, FETCH_ITEM, str(item.id))


# -- exercise links ----------------------------------------------------------------------------

def link_exercise(session: Session, *, site: str, activity: ActivityKind, cmid: int,
                  course_id: int, instance_id: int, files: dict[str, bytes] | None = None,
                  exercise_id: uuid.UUID | None = None, enabled: bool = True
                  ) -> tuple[ExerciseLink, ExerciseVersion]:
    """Attach an exercise to an activity; new files become the linked exercise's next version.

    Raises ExerciseError for a broken exercise (nothing is stored), ExerciseNotFound for an
    unknown exercise id.
    """
    repo = IntakeRepository(session)
    link = repo.link(site, activity, cmid)
    if files is not None:
        if link is not None:
            current = exercises.latest(session, exercise_id=link.exercise_id)
            stored = ExerciseRepository(session).get_version(current.id)
            assert stored is not None
            if {f.path: f.content for f in stored.files} == files:
                version = current  # the form was saved again without changes
            else:
                version = exercises.add_version(session, exercise_id=link.exercise_id,
                                                files=files)
        else:
            version = exercises.create(session, name=f"{site} {activity} {cmid}", files=files)
    elif exercise_id is not None:
        version = exercises.latest(session, exercise_id=exercise_id)
    else:
        raise ValueError("give the exercise files or an exercise id")
    if link is None:
        link = repo.add_link(ExerciseLink(
            site=site, activity=activity, cmid=cmid, course_id=course_id,
            instance_id=instance_id, exercise_id=version.exercise_id, enabled=enabled))
    else:
        link.course_id, link.instance_id, link.enabled = course_id, instance_id, enabled
        link.exercise_id = version.exercise_id
    session.flush()
    return link, version


def link_exercise_yaml(session: Session, *, site: str, activity: ActivityKind, cmid: int,
                       course_id: int, instance_id: int, exercise_yaml: str
                       ) -> tuple[ExerciseLink, ExerciseVersion]:
    """The plugin's form sends exercise.yaml alone (tests inline)."""
    return link_exercise(session, site=site, activity=activity, cmid=cmid, course_id=course_id,
                         instance_id=instance_id, files={SPEC_FILE: exercise_yaml.encode()})


def get_link(session: Session, *, site: str, activity: ActivityKind, cmid: int
             ) -> tuple[ExerciseLink, ExerciseVersion]:
    link = IntakeRepository(session).link(site, activity, cmid)
    if link is None:
        raise LinkNotFound(cmid)
    return link, exercises.latest(session, exercise_id=link.exercise_id)


def describe_version(session: Session, version: ExerciseVersion) -> str:
    """What the teacher reads next to the form: tests, points, version."""
    loaded = exercises.load(session, version_id=version.id)
    tests = len(loaded.io_tests) or len(loaded.unit_tests)
    return (f"{tests} test{'s' if tests != 1 else ''}, {max_score(loaded):g} points, "
            f"version {version.number}")


# -- fetching (the job) ------------------------------------------------------------------------

def fetch_item(item_id: uuid.UUID, *, factory: sessionmaker[Session] | None = None,
               client: MoodleClient | None = None) -> IntakeStatus:
    """Fetch an item's files from Moodle and hand them to grading; idempotent.

    Retryable Moodle errors propagate (the task retries); permanent ones mark the item.
    """
    settings = get_settings()
    with session_scope(factory) as session:
        repo = IntakeRepository(session)
        item = repo.get(item_id)
        if item is None:
            raise LookupError(item_id)
        if item.status is not IntakeStatus.RECEIVED:
            return item.status
        if item.kind is not ItemKind.ASSIGN_SUBMISSION:
            # Quiz attempts are recorded now and graded once their fetcher exists.
            item.status = IntakeStatus.UNSUPPORTED
            return item.status
        link = repo.link(item.site, item.kind.activity, item.cmid)
        if link is None or not link.enabled:
            item.status, item.error = IntakeStatus.NO_EXERCISE, "no exercise is linked"
            return item.status
        exercise_id = link.exercise_id
        entrypoint = exercises.load(
            session, version_id=exercises.latest(session, exercise_id=exercise_id).id
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
                submission = submissions.create(session, exercise_id=exercise_id, files=files)
            except SubmissionRejected as exc:
                outcome, error = IntakeStatus.REJECTED, str(exc)
            else:
                item.submission_id = submission.id
        item.status, item.error = outcome, error
        log.info("item %s (%s %s) %s", item.id, item.site, item.kind, outcome)
        return outcome


def mark_fetch_failed(item_id: uuid.UUID, error: str,
                      factory: sessionmaker[Session] | None = None) -> None:
    """Give up on fetching after the last retry, saying why."""
    with session_scope(factory) as session:
        item = IntakeRepository(session).get(item_id)
        if item is not None and item.status is IntakeStatus.RECEIVED:
            item.status, item.error = IntakeStatus.FAILED, error[:2000]


# -- reconciliation ----------------------------------------------------------------------------

def reconcile(*, factory: sessionmaker[Session] | None = None,
              clients: dict[str, MoodleClient] | None = None,
              now: int | None = None) -> list[uuid.UUID]:
    """Ask Moodle for submissions since the last sweep and take in those never seen."""
    now = now or int(time.time())
    with session_scope(factory) as session:
        links = [(link.id, link.site, link.cmid, link.course_id, link.instance_id,
                  link.swept_until)
                 for link in IntakeRepository(session).enabled_links(ActivityKind.ASSIGN)]
    taken: list[uuid.UUID] = []
    opened: dict[str, MoodleClient] = {}
    try:
        for link_id, site, cmid, course_id, instance_id, swept_until in links:
            moodle = (clients or {}).get(site) or opened.get(site)
            if moodle is None:
                moodle = opened[site] = client_for_site(site)
            since = max(swept_until - SWEEP_MARGIN_S, 0) if swept_until else None
            try:
                found = moodle.get_submissions([instance_id], status="submitted", since=since)
            except MoodleError as exc:
                log.warning("reconciliation of %s cmid %s failed: %s", site, cmid, exc)
                continue
            with session_scope(factory) as session:
                taken += _take_in(session, site, cmid, course_id, instance_id,
                                  found.for_assignment(instance_id))
                link = IntakeRepository(session).get_link(link_id)
                if link is not None:
                    link.swept_until = now
    finally:
        for moodle in opened.values():
            moodle.close()
    return taken


def _take_in(session: Session, site: str, cmid: int, course_id: int, instance_id: int,
             found: list[Any]) -> list[uuid.UUID]:
    repo = IntakeRepository(session)
    taken = []
    for sub in found:
        if sub.userid <= 0:
            continue  # team submissions belong to a group, not a user
        existing = repo.by_moodle_id(site, ItemKind.ASSIGN_SUBMISSION, sub.id, sub.attemptnumber)
        if existing is not None:
            if sub.timemodified > existing.submitted_at \
                    and existing.status is not IntakeStatus.RECEIVED:
                _refetch(session, existing, sub.timemodified, None)
                taken.append(existing.id)
            continue
        item = IntakeItem(
            site=site, kind=ItemKind.ASSIGN_SUBMISSION, source="reconcile",
            course_id=course_id, cmid=cmid, instance_id=instance_id, item_id=sub.id,
            user_id=sub.userid, attempt_number=sub.attemptnumber, submitted_at=sub.timemodified)
        if repo.insert_unique(item):
            enqueue_job(session, FETCH_ITEM, str(item.id))
            taken.append(item.id)
    return taken


def requeue_stuck(session: Session) -> list[uuid.UUID]:
    """Re-send fetch jobs lost on the way (broker down after the commit)."""
    stuck = IntakeRepository(session).stuck(utcnow() - RECEIVED_GRACE)
    for item_id in stuck:
        enqueue_job(session, FETCH_ITEM, str(item_id))
    return stuck


# -- regrading ---------------------------------------------------------------------------------

def regrade(session: Session, *, site: str, activity: ActivityKind, cmid: int) -> Regrade:
    """Grade every user's latest item of an activity again, with its newest exercise version."""
    link, version = get_link(session, site=site, activity=activity, cmid=cmid)
    repo = IntakeRepository(session)
    subs = SubmissionRepository(session)
    entries = []
    kind = ItemKind.ASSIGN_SUBMISSION if activity is ActivityKind.ASSIGN \
        else ItemKind.QUIZ_ATTEMPT
    for item in repo.latest_per_user(site, kind, cmid):
        old_id = item.submission_id
        old = subs.get_with_files(old_id) if old_id else None
        old_result = subs.latest_result(old_id) if old_id else None
        entry: dict[str, Any] = {
            "item": str(item.id), "user_id": item.user_id,
            "old_submission_id": str(old_id) if old_id else None,
            "old_score": old_result.score if old_result else None,
            "new_submission_id": None, "error": None,
        }
        if old is not None:
            try:
                new = submissions.create(session, exercise_id=link.exercise_id,
                                         files={f.path: f.content for f in old.files})
            except SubmissionRejected as exc:
                entry["error"] = str(exc)
            else:
                item.submission_id = new.id
                entry["new_submission_id"] = str(new.id)
        entries.append(entry)
    return repo.add_regrade(Regrade(site=site, activity=activity, cmid=cmid,
                                    exercise_version_id=version.id, entries=entries))
