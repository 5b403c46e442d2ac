"""API shapes for deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from bridge.delivery.models import DeliveryState


class DeliveryRead(BaseModel):
    id: uuid.UUID
    item_id: uuid.UUID
    submission_id: uuid.UUID
    grading_round: int
    site: str
    cmid: int
    user_id: int
    attempt_number: int
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    grade: float | None
    max_grade: float | None = None  # `grade` is out of this (the assignment's, the question's)
    delivered_at: datetime | None
    created_at: datetime
