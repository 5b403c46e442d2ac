"""What a Moodle site asks about the grading of its submissions, and what the bridge answers.

Both questions are signed like every other call of local_bridge (bridge.intake.signing) and
carry a `nonce`, so that two polls in the same second are two requests, never a replay.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from bridge.intake.schemas import PositiveId, SiteId

MAX_STATE_KEYS = 100
MAX_FAILURES = 200
Nonce = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9]{16,64}$")]


class GradingState(StrEnum):
    """The state a student sees, named for people; `graded` and `failed` are final."""

    UNKNOWN = "unknown"    # the bridge has not heard of this submission (yet)
    QUEUED = "queued"      # recorded, waiting for its files or for a grader
    RUNNING = "running"    # a grader is running the tests now
    GRADED = "graded"      # a score exists; `in_gradebook` says whether Moodle holds it
    FAILED = "failed"      # it could not be graded: the teacher is told (see /failures)


class StateKey(BaseModel):
    """One student's submission of one activity; the latest attempt unless one is named."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["assign_submission", "quiz_attempt"]
    cmid: PositiveId
    user_id: PositiveId
    attempt_number: Annotated[StrictInt, Field(ge=0)] | None = None


class StateQuery(BaseModel):
    """POST /api/v1/intake/states: the states of up to 100 (kind, cmid, user) submissions."""

    model_config = ConfigDict(extra="forbid", strict=True)

    schema_: Literal[1] = Field(alias="schema")
    site: SiteId
    nonce: Nonce
    items: Annotated[list[StateKey], Field(min_length=1, max_length=MAX_STATE_KEYS)]


class StateRead(BaseModel):
    """The grading state of one asked-for submission (the question's key echoed)."""

    kind: str
    cmid: int
    user_id: int
    attempt_number: int | None = Field(description="The attempt found; null when unknown.")
    state: GradingState
    final: bool = Field(description="True when the state will not change by itself: stop asking.")
    reason: str | None = Field(
        default=None, description="Why it failed (rejected, fetch_failed, no_exercise, "
                                  "unsupported, grading_failed, delivery_parked) or "
                                  "teacher_override for a grade a teacher changed.")
    score: float | None = None
    max_score: float | None = None
    grade: float | None = Field(default=None, description="Pushed to Moodle, on its scale.")
    in_gradebook: bool = False
    detail: str | None = Field(default=None, description="The error, for teachers (redacted).")
    failure_id: str | None = Field(default=None, description="Id of the failure, see /failures.")
    updated_at: int | None = Field(default=None, description="Unix time of the last change.")


class StateAnswer(BaseModel):
    states: list[StateRead]


class FailureQuery(BaseModel):
    """POST /api/v1/intake/failures: submissions that could not be graded, changed since."""

    model_config = ConfigDict(extra="forbid", strict=True)

    schema_: Literal[1] = Field(alias="schema")
    site: SiteId
    nonce: Nonce
    since: Annotated[StrictInt, Field(ge=0)]
    limit: Annotated[StrictInt, Field(ge=1, le=MAX_FAILURES)] = 100


class FailureRead(BaseModel):
    """One failure: its id is stable (the same failure always has the same id)."""

    failure_id: str
    kind: str
    cmid: int
    course_id: int
    instance_id: int
    user_id: int
    attempt_number: int
    reason: str
    detail: str | None
    failed_at: int


class FailureAnswer(BaseModel):
    failures: list[FailureRead]
    next_since: int = Field(description="Ask again with this `since`; failures may repeat.")
    more: bool = Field(description="True when the limit cut the list: ask again at once.")
