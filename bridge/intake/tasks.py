"""Celery tasks of the intake: thin shells over its services, taking ids only."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from sqlalchemy.exc import DBAPIError

from bridge.db import session_scope
from bridge.intake import reconcile, service, stuck
from bridge.moodle import MoodleError
from bridge.worker.metrics import SweepKind, count_requeues
from bridge.worker.retry import database_unavailable, db_backoff_s

# Moodle down: a try a minute at most (so the stuck sweep can tell a live job from a lost
# one), for about an hour before the item is marked failed.
MAX_RETRIES = 60


@shared_task(name=service.FETCH_ITEM, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def fetch_item_task(self: Any, item_id: str) -> str:
    """Fetch a notified item from Moodle; retried with backoff while Moodle or the database
    is unreachable."""
    retries = self.request.retries
    countdown = min(2 ** retries * 10, stuck.FETCH_RETRY_MAX_S)
    try:
        return service.fetch_item(uuid.UUID(item_id)).value
    except MoodleError as exc:  # only retryable ones get here
        if retries >= MAX_RETRIES:
            service.mark_fetch_failed(uuid.UUID(item_id), service.gave_up_reason(exc))
            raise
        stuck.keep_alive(uuid.UUID(item_id))
        raise self.retry(exc=exc, countdown=countdown) from None
    except DBAPIError as exc:
        if not database_unavailable(exc):
            raise
        # Restarting or out of reach: the item is still "received", so the job is safe to run
        # again (past the last retry the stuck-item sweep re-sends it).
        raise self.retry(exc=exc, countdown=min(db_backoff_s(retries),
                                                stuck.FETCH_RETRY_MAX_S)) from exc


@shared_task(name=stuck.REQUEUE_STUCK)
def requeue_stuck_task() -> int:
    """Periodic: re-send the fetch jobs of items whose job was lost."""
    with session_scope() as session:
        return count_requeues(SweepKind.FETCH, len(stuck.requeue_stuck(session)))


@shared_task(name=reconcile.RECONCILE)
def reconcile_task() -> int:
    """Periodic: take in submissions Moodle has and the bridge never heard of."""
    return len(reconcile.reconcile())
