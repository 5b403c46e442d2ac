"""Downloading an exercise back into Moodle: the zip of the version that grades an activity.

The plugin asks with a signed request naming the activity (and, for a quiz, the question by its
bank entry), so that only the site that linked an exercise reads its hidden tests back. Like the
teachers' other questions it carries a nonce and is answered once: a captured request cannot be
replayed to read the hidden tests again.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from bridge.exercises import service as exercises
from bridge.exercises.archive import version_zip
from bridge.intake.links import LinkNotFound
from bridge.intake.models import ActivityKind
from bridge.intake.repository import IntakeRepository
from bridge.intake.schemas import PositiveId, SiteId
from bridge.intake.state_schemas import Nonce


class ExerciseDownload(BaseModel):
    """local_bridge\\bridge_client::download_exercise(): which activity's exercise to send."""

    model_config = ConfigDict(extra="forbid", strict=True)

    schema_: Literal[1] = Field(alias="schema")
    site: SiteId
    nonce: Nonce
    cmid: PositiveId
    kind: Literal["assign", "quiz"]
    question_bank_entry_id: PositiveId | None = None

    @model_validator(mode="after")
    def _question_for_quizzes(self) -> ExerciseDownload:
        if (self.kind == "quiz") != (self.question_bank_entry_id is not None):
            raise ValueError("a quiz's exercise is named by question_bank_entry_id, "
                             "an assignment's by its cmid alone")
        return self


def linked_zip(session: Session, *, site: str, kind: ActivityKind, cmid: int,
               question_bank_entry_id: int | None = None) -> tuple[str, bytes]:
    """(file name, zip) of the newest version linked to an activity or quiz question.

    LinkNotFound when nothing is linked there.
    """
    repo = IntakeRepository(session)
    if kind is ActivityKind.QUIZ:
        if question_bank_entry_id is None:
            raise LinkNotFound(cmid)  # a quiz is linked question by question
        question = repo.question_link(site, cmid, question_bank_entry_id)
        exercise_id = question.exercise_id if question is not None else None
    else:
        link = repo.link(site, kind, cmid)
        exercise_id = link.exercise_id if link is not None else None
    if exercise_id is None:
        raise LinkNotFound(cmid)
    version = exercises.latest(session, exercise_id=exercise_id)
    return version_zip(session, version_id=version.id)
