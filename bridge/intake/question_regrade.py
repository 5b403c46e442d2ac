"""Regrading a quiz question: every finished attempt's item of it graded again, newest exercise.

Unlike an assignment (each user's latest attempt), every attempt of a quiz has a mark of its
own, so every attempt's question item is regraded. The new marks go through the outbox like
any other, which keeps a teacher's hand mark (teacher_override).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bridge.exercises import service as exercises
from bridge.history import service as history
from bridge.intake.models import ActivityKind, Regrade
from bridge.intake.questions import get_question_link
from bridge.intake.regrade import regrade_items
from bridge.intake.repository import IntakeRepository


def regrade_question(session: Session, *, site: str, cmid: int, bank_entry_id: int,
                     requested_by: str = history.OPERATOR_ACTOR) -> Regrade:
    """Grade every attempt's item of one quiz question again, with its newest exercise version.

    QuestionLinkNotFound when the question is not linked.
    """
    _, version = get_question_link(session, site=site, cmid=cmid,
                                   bank_entry_id=bank_entry_id)
    loaded = exercises.load(session, version_id=version.id)  # once, not once per attempt
    repo = IntakeRepository(session)
    started = repo.add_regrade(Regrade(site=site, activity=ActivityKind.QUIZ, cmid=cmid,
                                       question_bank_entry_id=bank_entry_id,
                                       exercise_version_id=version.id,
                                       requested_by=requested_by[:200], entries=[]))
    return regrade_items(session, started,
                         repo.graded_question_items(site, cmid, bank_entry_id),
                         version=version, loaded=loaded, requested_by=requested_by)
