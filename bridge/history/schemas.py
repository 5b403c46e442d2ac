"""API shape of one grade history event."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bridge.history.models import GradeHistory, HistoryEvent


class HistoryEntry(BaseModel):
    id: uuid.UUID
    at: datetime
    event: HistoryEvent = Field(description="graded, pushed, teacher_override, regrade_started")
    item_id: uuid.UUID | None
    site: str | None
    cmid: int | None
    user_id: int | None
    submission_id: uuid.UUID
    grading_round: int
    exercise_version: int
    image_digest: str | None
    score: float | None
    max_score: float | None
    grade: float | None = Field(description="On Moodle's scale (pushed, or kept back).")
    actor: str = Field(description="The job, the operator or the Moodle user who caused it.")
    regrade_id: uuid.UUID | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, row: GradeHistory) -> HistoryEntry:
        """The API view of a row."""
        return cls(id=row.id, at=row.created_at, event=row.event, item_id=row.item_id,
                   site=row.site, cmid=row.cmid, user_id=row.user_id,
                   submission_id=row.submission_id, grading_round=row.grading_round,
                   exercise_version=row.exercise_version, image_digest=row.image_digest,
                   score=row.score, max_score=row.max_score, grade=row.grade, actor=row.actor,
                   regrade_id=row.regrade_id, detail=row.detail)
