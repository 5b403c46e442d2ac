"""Celery tasks of the intake: thin shells over its services, taking ids only."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from sqlalchemy.exc import DBAPIError

from bridge.db import session_scope
from bridge.intake import reconcile, service
from bridge.moodle import MoodleError
from bridge.worker.retry import database_unavailable, db_backoff_s

MAX_RETRIES = 10


@shared_task(name=service.FETCH_ITEM, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def fetch_item_task(self: Any, item_id: str) -> str:
    """Fetch a notified item from Moodle; retried with backoff while Moodle or the database
    is unreachable."""
    try:
        return service.fetch_item(uuid.UUID(item_id)).value
    except MoodleError as exc:  # only retryable ones get here
        if self.request.retries >= MAX_RETRIES:
            service.mark_fetch_failed(uuid.UUID(item_id), f"Moodle unreachable: {exc}")
            raise
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries * 10, 900)) from None
    except DBAPIError as exc:
        if not database_unavailable(exc):
            raise
        # Restarting or out of reach: the item is still "received", so the job is safe to run
        # again (past the last retry the stuck-item sweep re-sends it).
        raise self.retry(exc=exc, countdown=db_backoff_s(self.request.retries)) from exc


@shared_task(name=reconcile.RECONCILE)
def reconcile_task() -> int:
    """Periodic: take in submissions Moodle has and the bridge never heard of."""
    taken = reconcile.reconcile()
    with session_scope() as session:
        reconcile.requeue_stuck(session)
    return len(taken)
