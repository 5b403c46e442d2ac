"""Shapes of what Moodle sites send (tests/vectors/notification.schema.json) and API answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

from bridge.exercises.archive import ExerciseFilesUpload
from bridge.intake.models import ActivityKind, IntakeStatus, ItemKind

ASSIGN_EVENT = "\\mod_assign\\event\\assessable_submitted"
QUIZ_EVENT = "\\mod_quiz\\event\\attempt_submitted"
EVENT_OF_KIND = {ItemKind.ASSIGN_SUBMISSION: ASSIGN_EVENT, ItemKind.QUIZ_ATTEMPT: QUIZ_EVENT}

SiteId = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
PositiveId = Annotated[StrictInt, Field(ge=1)]


class Notification(BaseModel):
    """A submission notification, schema 1: ids only, the bridge fetches the rest itself."""

    model_config = ConfigDict(extra="forbid", strict=True)

    schema_: Literal[1] = Field(alias="schema")
    site: SiteId
    event_id: Annotated[StrictStr, Field(pattern=r"^[0-9a-f]{64}$")]
    kind: Literal["assign_submission", "quiz_attempt"]
    course_id: PositiveId
    cmid: PositiveId
    instance_id: PositiveId
    item_id: PositiveId
    user_id: PositiveId
    attempt_number: Annotated[StrictInt, Field(ge=0)]
    submitted_at: Annotated[StrictInt, Field(ge=0)]
    event: Literal[
        "\\mod_assign\\event\\assessable_submitted", "\\mod_quiz\\event\\attempt_submitted"]

    @model_validator(mode="after")
    def _kind_matches_event(self) -> Notification:
        kind = ItemKind(self.kind)
        if self.event != EVENT_OF_KIND[kind]:
            raise ValueError(f"event {self.event} does not belong to kind {self.kind}")
        if kind is ItemKind.QUIZ_ATTEMPT and self.attempt_number < 1:
            raise ValueError("quiz attempts are numbered from 1")
        return self


class QuestionRef(BaseModel):
    """bridge_client::question_object(): which question of a quiz an exercise grades."""

    model_config = ConfigDict(extra="forbid", strict=True)

    question_bank_entry_id: PositiveId
    question_id: PositiveId
    idnumber: Annotated[StrictStr, Field(max_length=100)] | None = None
    name: Annotated[StrictStr, Field(max_length=255)] = ""


class ExerciseUpload(ExerciseFilesUpload):
    """local_bridge\\bridge_client::submit_exercise(): the activity and its exercise.yaml.

    A quiz is graded question by question: its upload names the question it links.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    site: SiteId
    course_id: PositiveId
    cmid: PositiveId
    kind: Literal["assign", "quiz"]
    instance_id: PositiveId
    question: QuestionRef | None = None

    @model_validator(mode="after")
    def _question_for_quizzes(self) -> ExerciseUpload:
        if self.kind == "quiz" and self.question is None:
            raise ValueError("a quiz exercise names its question (the question object)")
        if self.kind == "assign" and self.question is not None:
            raise ValueError("an assignment exercise has no question object")
        return self


class Acknowledgement(BaseModel):
    id: uuid.UUID
    status: str
    duplicate: bool


class LinkIn(BaseModel):
    """Operator link of an assignment to an exercise: new files, or an existing exercise."""

    course_id: int = Field(ge=1)
    instance_id: int = Field(ge=1)
    files: dict[str, Any] | None = Field(
        default=None, description="exercise.yaml and its files (text or {base64}).")
    exercise_id: uuid.UUID | None = None
    enabled: bool = True


class QuestionLinkIn(BaseModel):
    """Operator link of one quiz question (by bank entry) to an exercise; enabled false unlinks."""

    course_id: int = Field(ge=1)
    instance_id: int = Field(ge=1, description="quiz.id")
    question_id: int | None = Field(default=None, ge=1)
    name: str = Field(default="", max_length=255)
    files: dict[str, Any] | None = Field(
        default=None, description="exercise.yaml and its files (text or {base64}).")
    exercise_id: uuid.UUID | None = None
    enabled: bool = True


class QuestionLinkRead(BaseModel):
    site: str
    cmid: int
    course_id: int
    instance_id: int
    question_bank_entry_id: int
    question_id: int | None
    idnumber: str | None
    name: str
    exercise_id: uuid.UUID
    exercise_version: int
    enabled: bool
    message: str = ""


class LinkRead(BaseModel):
    site: str
    activity: ActivityKind
    cmid: int
    course_id: int
    instance_id: int
    exercise_id: uuid.UUID
    exercise_version: int
    enabled: bool
    valid: bool = True
    message: str = ""


class ItemRead(BaseModel):
    id: uuid.UUID
    site: str
    kind: ItemKind
    cmid: int
    instance_id: int
    item_id: int
    user_id: int
    attempt_number: int
    intake_status: IntakeStatus
    status: str = Field(description="received, queued, running, graded, delivered, failed, "
                                    "rejected, teacher_override, delivery_parked, ...")
    submission_id: uuid.UUID | None
    score: float | None = None
    max_score: float | None = None
    grade: float | None = Field(default=None, description="Pushed to Moodle, on its scale.")
    error: str | None = None
    created_at: datetime
    modified_at: datetime | None
    # Quiz questions (kind quiz_question; item_id is the attempt's id).
    attempt_item: uuid.UUID | None = Field(default=None, description="The attempt's item.")
    question_bank_entry_id: int | None = None
    question_id: int | None = None
    slot: int | None = None
    max_mark: float | None = None
    sequence_check: int | None = None
    questions: list[ItemRead] | None = Field(
        default=None, description="A quiz attempt's items, one per linked question.")


class RegradeEntry(BaseModel):
    item: uuid.UUID
    user_id: int
    old_submission_id: uuid.UUID | None
    new_submission_id: uuid.UUID | None
    old_score: float | None
    old_max_score: float | None = Field(default=None, description="The old result's maximum.")
    new_score: float | None = None
    max_score: float | None = None
    status: str
    changed: bool | None = None
    error: str | None = None
    attempt_number: int | None = None
    slot: int | None = None
    grade: float | None = Field(default=None, description="Pushed to Moodle, on its scale.")
    delivery: str | None = Field(default=None, description="delivered, teacher_override, ...")


class RegradeRead(BaseModel):
    id: uuid.UUID
    site: str
    cmid: int
    question_bank_entry_id: int | None = None
    exercise_version: int
    entries: list[RegradeEntry]
    changed: int
    pending: int
