"""Shapes of a results export: a page of students, each with its tests, and pass rates."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class TestOutcome(BaseModel):
    name: str
    visibility: str
    status: str
    score: float
    max_score: float


class StudentResult(BaseModel):
    user_id: int
    item: uuid.UUID
    attempt_number: int
    question_bank_entry_id: int = Field(description="0 for an assignment submission.")
    exercise_version: int | None
    status: str
    score: float | None
    max_score: float | None
    grade: float | None = Field(description="Pushed to Moodle, on its scale.")
    teacher_override: bool = Field(description="Moodle holds a teacher's grade instead.")
    graded_at: datetime | None
    tests: list[TestOutcome]


class ResultsPage(BaseModel):
    site: str
    cmid: int
    students: list[StudentResult]
    next_after_user_id: int | None = Field(
        description="Ask again with after_user_id set to this for the next page; null at the end.")


class PassRate(BaseModel):
    question_bank_entry_id: int
    test: str
    passed: int
    total: int
    rate: float = Field(description="passed / total, 0..1")


class PassRates(BaseModel):
    site: str
    cmid: int
    students: int
    tests: list[PassRate]
