"""Fetch again an item whose intake failed for good (a refused fetch, no exercise, rejected).

The cause may be fixed since (the bridge's Moodle role was given the missing capability, the
exercise was linked, a file limit raised): the item goes back to `received` and its fetch job
is sent after the commit, in the transaction that writes the new status. The grade history
records nothing: its rows belong to a graded submission, and a failed intake has none.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.intake.repository import IntakeRepository
from bridge.intake.service import FETCH_ITEM
from bridge.intake.state_repository import StateRepository
from bridge.worker.jobs import enqueue_job

log = logging.getLogger(__name__)
# UNSUPPORTED: recorded by a bridge version that could not grade its kind yet (quiz attempts
# before quizzes were graded); a newer bridge can.
REFETCHABLE = frozenset({IntakeStatus.FAILED, IntakeStatus.REJECTED, IntakeStatus.NO_EXERCISE,
                         IntakeStatus.UNSUPPORTED})


class ItemNotFound(Exception):
    """No such item (of this site)."""


class NotRefetchable(Exception):
    """The item's intake did not fail: nothing to fetch again."""

    def __init__(self, item: IntakeItem, detail: str) -> None:
        super().__init__(detail)
        self.item, self.detail = item, detail


@dataclass(frozen=True)
class Refetched:
    item_id: uuid.UUID
    refetched: bool  # False: it was already waiting for its fetch (a repeated request)


def refetch(session: Session, *, item_id: uuid.UUID, actor: str) -> Refetched:
    """Send a failed item back to `received` and queue its fetch; a repeat changes nothing."""
    item = IntakeRepository(session).get_for_update(item_id)
    if item is None:
        raise ItemNotFound(str(item_id))
    return _refetch_locked(session, item, actor)


def refetch_latest(session: Session, *, site: str, kind: ItemKind, cmid: int, user_id: int,
                   attempt_number: int | None, actor: str) -> Refetched:
    """The same for a user's newest item of an activity (what the teacher's page shows)."""
    found = StateRepository(session).latest(site, kind, cmid, user_id, attempt_number)
    if found is None:
        raise ItemNotFound(f"{kind} of user {user_id} in cmid {cmid}")
    item = IntakeRepository(session).get_for_update(found.id)
    assert item is not None  # read in this transaction
    return _refetch_locked(session, item, actor)


def _refetch_locked(session: Session, item: IntakeItem, actor: str) -> Refetched:
    if item.kind is ItemKind.QUIZ_QUESTION:
        raise NotRefetchable(item, "a quiz question is fetched with its attempt: fetch the "
                                   "attempt again")
    if item.status is IntakeStatus.RECEIVED:
        return Refetched(item.id, refetched=False)
    if item.status not in REFETCHABLE:
        raise NotRefetchable(item, f"the item is {item.status.value}: only a failed, rejected "
                                   f"or no_exercise intake is fetched again")
    log.info("item %s (%s %s) was %s (%s): fetched again by %s", item.id, item.site, item.kind,
             item.status, item.error, actor)
    item.status, item.error = IntakeStatus.RECEIVED, None
    enqueue_job(session, FETCH_ITEM, str(item.id))
    return Refetched(item.id, refetched=True)
