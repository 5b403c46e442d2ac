"""The grade history table: one row per event, never updated or deleted.

Rows are written in the transaction of the state change they record, so the history and the
state never disagree. On PostgreSQL and SQLite a trigger (migration 0008) refuses UPDATE and
DELETE, so even SQL typed by hand cannot rewrite what happened.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import JSONType, RecordModel


class HistoryEvent(StrEnum):
    GRADED = "graded"                      # the bridge computed a score (one grading round)
    PUSHED = "pushed"                      # the grade was written to Moodle's gradebook
    TEACHER_OVERRIDE = "teacher_override"  # Moodle held a teacher's grade: ours was not pushed
    REGRADE_STARTED = "regrade_started"    # the item is graded again with a newer exercise


class GradeHistory(RecordModel):
    """What happened to one submission's grade, when, with what, by whom."""

    __tablename__ = "grade_history"
    __table_args__ = (
        Index(None, "item_id", "created_at"),
        Index(None, "site", "user_id"),
    )

    event: Mapped[HistoryEvent] = mapped_column(
        Enum(HistoryEvent, native_enum=False, length=24,
             values_callable=lambda e: [m.value for m in e]))
    # Moodle items carry site, user and activity; a submission made through the API has none.
    item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("moodle_items.id", ondelete="RESTRICT"), default=None)
    site: Mapped[str | None] = mapped_column(String(64), default=None)
    cmid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="RESTRICT"), index=True)
    grading_round: Mapped[int]
    exercise_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="RESTRICT"))
    exercise_version: Mapped[int]
    image_digest: Mapped[str | None] = mapped_column(String(100), default=None)
    score: Mapped[float | None] = mapped_column(default=None)
    max_score: Mapped[float | None] = mapped_column(default=None)
    # On Moodle's scale: what we pushed, or would have pushed over a teacher's grade (its
    # value is in detail["moodle"]).
    grade: Mapped[float | None] = mapped_column(default=None)
    # "job:grading host:pid:nonce", "job:delivery", "operator (API key)", "moodle:<site> user 7"
    actor: Mapped[str] = mapped_column(String(200))
    regrade_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("moodle_regrades.id", ondelete="RESTRICT"), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
