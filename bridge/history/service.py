"""Recording and reading grade history; every record_* runs inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from bridge.exercises.repository import ExerciseRepository
from bridge.history.models import GradeHistory, HistoryEvent
from bridge.history.repository import HistoryRepository
from bridge.intake.models import IntakeItem
from bridge.intake.repository import IntakeRepository
from bridge.submissions.models import Submission
from bridge.submissions.repository import SubmissionRepository

MAX_ROWS = 1000  # one submission's or one user's history in a single answer
DELIVERY_ACTOR = "job:delivery"
OPERATOR_ACTOR = "operator (API key)"


def moodle_actor(site: str, user_id: int | None) -> str:
    """Who asked, when a Moodle site signed the request (its teacher's user id if it said)."""
    return f"moodle:{site}" + (f" user {user_id}" if user_id else "")


def _append(session: Session, *, event: HistoryEvent, submission: Submission,
            item: IntakeItem | None, actor: str, regrade_id: uuid.UUID | None = None,
            grade: float | None = None, detail: dict[str, Any] | None = None,
            with_result: bool = True, grading_round: int | None = None) -> GradeHistory:
    grading_round = grading_round or submission.grading_round
    version = ExerciseRepository(session).get_version(submission.exercise_version_id)
    assert version is not None  # a foreign key
    result = SubmissionRepository(session).result_for_round(
        submission.id, grading_round) if with_result else None
    return HistoryRepository(session).append(GradeHistory(
        event=event, item_id=item.id if item else None, site=item.site if item else None,
        cmid=item.cmid if item else None, user_id=item.user_id if item else None,
        submission_id=submission.id, grading_round=grading_round,
        exercise_version_id=version.id, exercise_version=version.number,
        image_digest=result.image_digest if result else None,
        score=result.score if result else None, max_score=result.max_score if result else None,
        grade=grade, actor=actor[:200], regrade_id=regrade_id, detail=detail or {}))


def record_graded(session: Session, *, submission_id: uuid.UUID, actor: str) -> GradeHistory:
    """A result was just stored for the submission's current round."""
    submission = SubmissionRepository(session).get(submission_id)
    assert submission is not None
    item = IntakeRepository(session).by_submission(submission_id)
    return _append(session, event=HistoryEvent.GRADED, submission=submission, item=item,
                   actor=actor)


def record_delivery(session: Session, *, item_id: uuid.UUID, submission_id: uuid.UUID,
                    grading_round: int, overridden: bool, grade: float | None,
                    moodle_said: str | None) -> GradeHistory:
    """A grade was pushed to Moodle, or a teacher's grade was found there and kept."""
    submission = SubmissionRepository(session).get(submission_id)
    item = IntakeRepository(session).get(item_id)
    assert submission is not None and item is not None
    return _append(session, submission=submission, item=item, actor=DELIVERY_ACTOR,
                   grading_round=grading_round,
                   event=HistoryEvent.TEACHER_OVERRIDE if overridden else HistoryEvent.PUSHED,
                   grade=grade, detail={"moodle": moodle_said} if moodle_said else None)


def record_regrade(session: Session, *, item: IntakeItem, regrade_id: uuid.UUID,
                   old_submission_id: uuid.UUID, new_submission_id: uuid.UUID | None,
                   old_score: float | None, actor: str, error: str | None = None,
                   old_max_score: float | None = None) -> GradeHistory:
    """An item is graded again (the new submission, or the old one if the files were refused)."""
    subs = SubmissionRepository(session)
    submission = subs.get(new_submission_id or old_submission_id)
    assert submission is not None
    detail: dict[str, Any] = {"old_submission_id": str(old_submission_id),
                              "old_score": old_score, "old_max_score": old_max_score}
    if error:
        detail["error"] = error
    # A new submission is not graded yet: the old round's score is in detail, not in the row.
    return _append(session, event=HistoryEvent.REGRADE_STARTED, submission=submission,
                   item=item, actor=actor, regrade_id=regrade_id, detail=detail,
                   with_result=new_submission_id is None)


def for_item(session: Session, *, item_id: uuid.UUID) -> list[GradeHistory] | None:
    """A Moodle item's history, oldest first; None if there is no such item."""
    if IntakeRepository(session).get(item_id) is None:
        return None
    return HistoryRepository(session).for_item(item_id, MAX_ROWS)


def for_submission(session: Session, *, submission_id: uuid.UUID
                   ) -> list[GradeHistory] | None:
    """A bridge submission's history, oldest first; None if there is no such submission."""
    if SubmissionRepository(session).get(submission_id) is None:
        return None
    return HistoryRepository(session).for_submission(submission_id, MAX_ROWS)


def for_moodle_user(session: Session, *, site: str, user_id: int, cmid: int | None = None,
                    moodle_item_id: int | None = None) -> list[GradeHistory]:
    """A Moodle user's history on a site; narrowed to one activity or one submission/attempt."""
    item_ids = None
    if moodle_item_id is not None:
        item_ids = [i.id for i in IntakeRepository(session).list_items(
            site, cmid=cmid, user_id=user_id, limit=MAX_ROWS) if i.item_id == moodle_item_id]
    return HistoryRepository(session).for_user(site, user_id, cmid=cmid, item_ids=item_ids,
                                               limit=MAX_ROWS)
