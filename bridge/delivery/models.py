"""The outbox: one row per graded round of a Moodle item, written with the result."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import RecordModel


class DeliveryState(StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    DELIVERED = "delivered"
    PARKED = "parked"                     # out of retries, or refused for good: an admin looks
    TEACHER_OVERRIDE = "teacher_override"  # a teacher changed our grade by hand: left alone
    SUPERSEDED = "superseded"             # a newer attempt or regrade replaced this one


OPEN_STATES = (DeliveryState.PENDING, DeliveryState.RETRYING)


class Delivery(RecordModel):
    __tablename__ = "moodle_deliveries"
    __table_args__ = (
        UniqueConstraint("submission_id", "grading_round"),
        Index(None, "state", "next_attempt_at"),
    )

    item_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("moodle_items.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"))
    grading_round: Mapped[int]
    state: Mapped[DeliveryState] = mapped_column(
        Enum(DeliveryState, native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # What we pushed, on Moodle's scale: compared with Moodle's grade before the next push.
    grade: Mapped[float | None] = mapped_column(default=None)
    max_grade: Mapped[float | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
