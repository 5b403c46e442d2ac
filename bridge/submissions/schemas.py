"""API shapes for submissions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bridge.exercises.schemas import FileIn
from bridge.submissions.models import SubmissionStatus


class SubmissionCreate(BaseModel):
    exercise_id: uuid.UUID
    version: int | None = Field(default=None, description="Defaults to the newest version.")
    files: dict[str, FileIn | str] = Field(description="Submitted files by relative path.")


class SubmissionRead(BaseModel):
    id: uuid.UUID
    exercise_id: uuid.UUID
    exercise_version: int
    status: SubmissionStatus
    grading_round: int
    created_at: datetime
    modified_at: datetime | None
    error: str | None = None
    score: float | None = None
    max_score: float | None = None
    result: dict[str, Any] | None = Field(default=None, description="See result.schema.json.")
