"""Reconciliation: ask Moodle for submissions since the last sweep and take in what was missed.

Assignments here (mod_assign_get_submissions); quizzes in quiz_sweep (the plugin's listing of
finished attempts).
"""

from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy.orm import Session, sessionmaker

from bridge.db import session_scope
from bridge.intake.models import ActivityKind, IntakeItem, IntakeStatus, ItemKind
from bridge.intake.quiz_sweep import SWEEP_MARGIN_S, sweep_quizzes
from bridge.intake.repository import IntakeRepository
from bridge.intake.service import refetch, take_in
from bridge.moodle import MoodleClient, MoodleError, client_for_site
from bridge.moodle.schemas import AssignSubmission

log = logging.getLogger(__name__)

RECONCILE = "bridge.intake.reconcile"


def reconcile(*, factory: sessionmaker[Session] | None = None,
              clients: dict[str, MoodleClient] | None = None,
              now: int | None = None) -> list[uuid.UUID]:
    """Ask Moodle for submissions and quiz attempts since the last sweep; take in those never
    seen."""
    now = now or int(time.time())
    with session_scope(factory) as session:
        links = [(link.id, link.site, link.cmid, link.course_id, link.instance_id,
                  link.swept_until)
                 for link in IntakeRepository(session).enabled_links(ActivityKind.ASSIGN)]
    taken: list[uuid.UUID] = []
    opened: dict[str, MoodleClient] = {}

    def client_for(site: str) -> MoodleClient:
        moodle = (clients or {}).get(site) or opened.get(site)
        if moodle is None:
            moodle = opened[site] = client_for_site(site)
        return moodle

    try:
        for link_id, site, cmid, course_id, instance_id, swept_until in links:
            moodle = client_for(site)
            since = max(swept_until - SWEEP_MARGIN_S, 0) if swept_until else None
            try:
                found = moodle.get_submissions([instance_id], status="submitted", since=since)
            except MoodleError as exc:
                log.warning("reconciliation of %s cmid %s failed: %s", site, cmid, exc)
                continue
            with session_scope(factory) as session:
                taken += take_in_found(session, site=site, cmid=cmid, course_id=course_id,
                                       instance_id=instance_id,
                                       found=found.for_assignment(instance_id))
                link = IntakeRepository(session).get_link(link_id)
                if link is not None:
                    link.swept_until = now
        taken += sweep_quizzes(client_for=client_for, now=now, factory=factory)
    finally:
        for moodle in opened.values():
            moodle.close()
    return taken


def take_in_found(session: Session, *, site: str, cmid: int, course_id: int, instance_id: int,
                  found: list[AssignSubmission]) -> list[uuid.UUID]:
    """Record the submissions one sweep found; the ids of items created or to be refetched."""
    taken = []
    for sub in found:
        if sub.userid <= 0:
            continue  # team submissions belong to a group, not a user
        item, created = take_in(session, IntakeItem(
            site=site, kind=ItemKind.ASSIGN_SUBMISSION, source="reconcile",
            course_id=course_id, cmid=cmid, instance_id=instance_id, item_id=sub.id,
            user_id=sub.userid, attempt_number=sub.attemptnumber, submitted_at=sub.timemodified))
        if created:
            taken.append(item.id)
        elif sub.timemodified > item.submitted_at and item.status is not IntakeStatus.RECEIVED:
            # Saved again since it was recorded. From now on the item's time is Moodle's
            # timemodified, not an event's: only a later sweep may refetch it (see
            # service.record_notification), so a late notification cannot grade it twice.
            refetch(session, item, sub.timemodified, event_id=None)
            taken.append(item.id)
    return taken
