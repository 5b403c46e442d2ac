"""Delivery API. Who may call: holders of the API key (operators)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status

from bridge.delivery import service
from bridge.delivery.models import Delivery, DeliveryState
from bridge.delivery.schemas import DeliveryRead
from bridge.deps import ApiKeyDep, SessionDep
from bridge.intake.models import IntakeItem
from bridge.moodle.encoding import redact

router = APIRouter(prefix="/api/v1/deliveries", tags=["deliveries"], dependencies=[ApiKeyDep])


def _read(delivery: Delivery, item: IntakeItem) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id, item_id=item.id, submission_id=delivery.submission_id,
        grading_round=delivery.grading_round, site=item.site, cmid=item.cmid,
        user_id=item.user_id, attempt_number=item.attempt_number, state=delivery.state,
        attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at,
        last_error=redact(delivery.last_error) if delivery.last_error else None,
        grade=delivery.grade, max_grade=delivery.max_grade,
        delivered_at=delivery.delivered_at, created_at=delivery.created_at)


@router.get("", response_model=list[DeliveryRead])
def list_deliveries(session: SessionDep, state: DeliveryState | None = None,
                    site: str | None = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[DeliveryRead]:
    """Deliveries, newest first; `?state=parked` is the operator's to-do list."""
    rows = service.list_deliveries(session, state=state, site=site, limit=limit)
    return [_read(d, i) for d, i in rows]


@router.post("/{delivery_id}/retry", response_model=DeliveryRead,
             status_code=status.HTTP_202_ACCEPTED)
def retry_delivery(delivery_id: uuid.UUID, session: SessionDep) -> DeliveryRead:
    """Send a parked delivery again (after fixing what parked it)."""
    try:
        delivery, item = service.retry(session, delivery_id=delivery_id)
    except service.DeliveryNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "delivery not found") from None
    except service.NotRetryable as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return _read(delivery, item)
