"""Reconciliation of quizzes: finished attempts Moodle has and the bridge never heard of.

A quiz attempt whose notification never arrived (the plugin's outbox row lost, a bridge down
for longer than it retried) is found here: for every quiz with an enabled question link,
local_bridge_get_finished_attempts lists the attempts finished since the last sweep, page by
page, and each is recorded through the same path as a notification (service.take_in), so an
attempt already notified changes nothing, and a notification arriving after the sweep is a
duplicate.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from bridge.db import session_scope
from bridge.intake.models import IntakeItem, ItemKind
from bridge.intake.repository import IntakeRepository
from bridge.intake.service import take_in
from bridge.moodle import MoodleClient, MoodleError
from bridge.moodle.schemas import FinishedAttempts

log = logging.getLogger(__name__)

SWEEP_MARGIN_S = 120  # Moodle's clock and ours differ; a sweep overlaps the previous one
MAX_PAGES = 20        # pages of one quiz per sweep; the next sweep goes on from there


def sweep_quizzes(*, client_for: Callable[[str], MoodleClient], now: int,
                  factory: sessionmaker[Session] | None = None) -> list[uuid.UUID]:
    """Take in the finished attempts of every quiz with linked questions; the new items."""
    with session_scope(factory) as session:
        quizzes = IntakeRepository(session).quizzes_to_sweep()
    taken: list[uuid.UUID] = []
    for site, cmid, swept_until in quizzes:
        since = max(swept_until - SWEEP_MARGIN_S, 0) if swept_until else 0
        try:
            taken += sweep_quiz(client_for(site), site=site, cmid=cmid, since=since, now=now,
                                factory=factory)
        except MoodleError as exc:
            log.warning("reconciliation of %s quiz cmid %s failed: %s", site, cmid, exc)
    return taken


def sweep_quiz(moodle: MoodleClient, *, site: str, cmid: int, since: int, now: int,
               factory: sessionmaker[Session] | None = None) -> list[uuid.UUID]:
    """One quiz's attempts finished from `since` on; each page recorded as it arrives."""
    taken: list[uuid.UUID] = []
    after_id = 0
    reached = now
    for _ in range(MAX_PAGES):
        page = moodle.get_finished_attempts(cmid, since=since, after_id=after_id)
        with session_scope(factory) as session:
            taken += take_in_attempts(session, site=site, page=page)
        if not page.hasmore or not page.attempts:
            break
        last = page.attempts[-1]
        since, after_id = last.timefinish, last.attemptid
    else:
        # Cut short: the next sweep starts where this one stopped, not at `now`.
        reached = since
    with session_scope(factory) as session:
        IntakeRepository(session).mark_quiz_swept(site, cmid, reached)
    return taken


def take_in_attempts(session: Session, *, site: str, page: FinishedAttempts
                     ) -> list[uuid.UUID]:
    """Record the attempts of one page; the ids of the items it created."""
    taken = []
    for found in page.attempts:
        item, created = take_in(session, IntakeItem(
            site=site, kind=ItemKind.QUIZ_ATTEMPT, source="reconcile",
            course_id=page.courseid, cmid=page.cmid, instance_id=page.quizid,
            item_id=found.attemptid, user_id=found.userid, attempt_number=found.attempt,
            submitted_at=found.timefinish))
        if created:
            log.info("reconciliation found quiz attempt %s of user %s (%s cmid %s)",
                     found.attemptid, found.userid, site, page.cmid)
            taken.append(item.id)
    return taken
