"""Celery tasks of the delivery outbox: thin shells over bridge.delivery.service."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from sqlalchemy.exc import DBAPIError

from bridge.db import session_scope
from bridge.delivery import service
from bridge.delivery.models import DeliveryState
from bridge.worker.metrics import SweepKind, count_requeues
from bridge.worker.retry import database_unavailable, db_backoff_s

# Tries of one job stopped by the database (Moodle's tries are counted by the outbox row).
MAX_DB_RETRIES = 8


@shared_task(name=service.DELIVER, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None)
def deliver_task(self: Any, delivery_id: str) -> str:
    """Push one grade; the outbox row counts the tries and decides when to park."""
    try:
        attempt = service.deliver(uuid.UUID(delivery_id))
    except DBAPIError as exc:
        if not database_unavailable(exc) or self.request.retries >= MAX_DB_RETRIES:
            raise  # the row is still open and due: the sweep re-sends it
        raise self.retry(exc=exc, countdown=db_backoff_s(self.request.retries)) from exc
    if attempt.state is DeliveryState.RETRYING:
        raise self.retry(countdown=attempt.delay_s)
    return attempt.state.value


@shared_task(name=service.SWEEP)
def sweep_task() -> int:
    """Periodic: re-send delivery jobs that are due but were lost."""
    with session_scope() as session:
        return count_requeues(SweepKind.DELIVERY, len(service.requeue_due(session)))
