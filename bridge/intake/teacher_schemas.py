"""What a Moodle site's teachers ask the bridge: regrades, history, results, a ping.

Every question is signed like a notification (bridge.intake.signing) and carries a `nonce`, so
two polls in the same second are two requests and a captured one cannot be replayed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

from bridge.history.schemas import HistoryEntry
from bridge.intake.schemas import PositiveId, RegradeEntry, SiteId
from bridge.intake.state_schemas import Nonce

Activity = Literal["assign", "quiz"]


class Signed(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    schema_: Literal[1] = Field(alias="schema")
    site: SiteId
    nonce: Nonce


class Ping(Signed):
    """POST /api/v1/intake/ping: does the secret work (the plugin's "Test connection")."""


class Pong(BaseModel):
    ok: bool
    site: str
    bridge_version: str
    jwks_url: str = Field(description="Where auth_jwtsso fetches the bridge's keys.")


class RegradeStart(Signed):
    """POST /api/v1/intake/regrades: regrade an activity (assignment) or one quiz question.

    An assignment regrades every student's latest submission; a quiz question (named by its
    question bank entry) every finished attempt's answer to it.
    """

    kind: Activity
    cmid: PositiveId
    question_bank_entry_id: PositiveId | None = None
    requested_by: PositiveId | None = Field(default=None, description="The teacher's user id.")

    @model_validator(mode="after")
    def _quiz_names_its_question(self) -> RegradeStart:
        if (self.kind == "quiz") != (self.question_bank_entry_id is not None):
            raise ValueError("a quiz regrade names its question_bank_entry_id, an assignment not")
        return self


class RegradeQuery(Signed):
    """POST /api/v1/intake/regrades/read: one regrade, or the activity's newest."""

    kind: Activity
    cmid: PositiveId
    question_bank_entry_id: PositiveId | None = None
    regrade_id: Annotated[StrictStr, Field(pattern=r"^[0-9a-f-]{36}$")] | None = None


class RegradeEntryReport(RegradeEntry):
    moodle: str | None = Field(default=None, description=(
        "What the outbox did with the new grade: pending, delivered, teacher_override (the "
        "teacher's hand grade was kept), parked, superseded; null before it is graded."))


class RegradeReport(BaseModel):
    id: uuid.UUID
    site: str
    cmid: int
    question_bank_entry_id: int | None
    exercise_version: int
    requested_by: str | None
    created_at: datetime
    done: bool = Field(description="Every entry graded or refused: stop polling.")
    total: int
    pending: int
    changed: int
    kept_teacher_grade: int
    entries: list[RegradeEntryReport]


class HistoryQuery(Signed):
    """POST /api/v1/intake/history: a user's events, or one submission's/attempt's."""

    user_id: PositiveId
    cmid: PositiveId | None = None
    item_id: PositiveId | None = Field(default=None,
                                       description="The Moodle submission or attempt id.")


class HistoryAnswer(BaseModel):
    entries: list[HistoryEntry]


class ResultsQuery(Signed):
    """POST /api/v1/intake/results: one page of an activity's results, JSON or CSV."""

    kind: Activity
    cmid: PositiveId
    format: Literal["json", "csv"] = "json"
    after_user_id: Annotated[StrictInt, Field(ge=0)] = 0
    limit: Annotated[StrictInt, Field(ge=1, le=500)] = 500


class PassRateQuery(Signed):
    """POST /api/v1/intake/results/pass-rates: per-test pass rates of an activity."""

    kind: Activity
    cmid: PositiveId
