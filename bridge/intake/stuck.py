"""Items whose fetch job was lost: found by a sweep every minute, never while a job is live.

A live fetch job keeps its item fresh: it is sent when the item is recorded, and each retry
while Moodle is down touches the item and waits at most FETCH_RETRY_MAX_S. An item still
`received` and untouched for STUCK_GRACE therefore has no job anywhere (the broker lost it, or
it could not be sent after the commit): the sweep sends a new one, and touches the item so that
the next sweep leaves that job alone too.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from bridge.db import session_scope, utcnow
from bridge.intake.models import IntakeStatus
from bridge.intake.repository import IntakeRepository
from bridge.intake.service import FETCH_ITEM
from bridge.worker.jobs import enqueue_job

REQUEUE_STUCK = "bridge.intake.requeue_stuck"
# A fetch try is a few Moodle calls, each bounded by MOODLE_TIMEOUT_S (10 s by default); a
# retry waits at most this long, and the item is touched when it is scheduled.
FETCH_RETRY_MAX_S = 60
STUCK_GRACE = timedelta(minutes=2)


def keep_alive(item_id: uuid.UUID, *, factory: sessionmaker[Session] | None = None) -> None:
    """A fetch job that will try again says so: the sweep leaves its item alone."""
    with session_scope(factory) as session:
        item = IntakeRepository(session).get_for_update(item_id)
        if item is not None and item.status is IntakeStatus.RECEIVED:
            item.modified_at = utcnow()


def requeue_stuck(session: Session) -> list[uuid.UUID]:
    """Re-send the fetch jobs of items untouched for STUCK_GRACE (their job was lost)."""
    repo = IntakeRepository(session)
    now = utcnow()
    stuck = repo.stuck(now - STUCK_GRACE)
    sent = []
    for item_id in stuck:
        item = repo.get_for_update(item_id)
        if item is None or item.status is not IntakeStatus.RECEIVED:
            continue  # fetched since it was read
        item.modified_at = now  # the job sent now is live: the next sweeps wait for it
        enqueue_job(session, FETCH_ITEM, str(item_id))
        sent.append(item_id)
    return sent
