"""Regrading a quiz question: every finished attempt's item of it graded again, newest exercise.

Unlike an assignment (each user's latest attempt), every attempt of a quiz has a mark of its
own, so every attempt's question item is regraded. The new marks go through the outbox like
any other, which keeps a teacher's hand mark (teacher_override).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bridge.exercises import service as exercises
from bridge.history import service as history
from bridge.intake.models import ActivityKind, Regrade
from bridge.intake.questions import get_question_link
from bridge.intake.repository import IntakeRepository
from bridge.submissions import service as submissions
from bridge.submissions.repository import SubmissionRepository
from grader import SubmissionRejected


def regrade_question(session: Session, *, site: str, cmid: int, bank_entry_id: int,
                     requested_by: str = history.OPERATOR_ACTOR) -> Regrade:
    """Grade every attempt's item of one quiz question again, with its newest exercise version.

    QuestionLinkNotFound when the question is not linked.
    """
    _, version = get_question_link(session, site=site, cmid=cmid,
                                   bank_entry_id=bank_entry_id)
    loaded = exercises.load(session, version_id=version.id)  # once, not once per attempt
    repo = IntakeRepository(session)
    subs = SubmissionRepository(session)
    started = repo.add_regrade(Regrade(site=site, activity=ActivityKind.QUIZ, cmid=cmid,
                                       question_bank_entry_id=bank_entry_id,
                                       exercise_version_id=version.id,
                                       requested_by=requested_by[:200], entries=[]))
    entries: list[dict[str, Any]] = []
    for item in repo.graded_question_items(site, cmid, bank_entry_id):
        old_id = item.submission_id
        old = subs.get_with_files(old_id) if old_id else None
        old_result = subs.latest_result(old_id) if old_id else None
        entry: dict[str, Any] = {
            "item": str(item.id), "user_id": item.user_id,
            "old_submission_id": str(old_id) if old_id else None,
            "old_score": old_result.score if old_result else None,
            "old_max_score": old_result.max_score if old_result else None,
            "new_submission_id": None, "error": None,
        }
        if old is not None:
            try:
                new = submissions.create_for_version(
                    session, version=version, loaded=loaded,
                    files={f.path: f.content for f in old.files})
            except SubmissionRejected as exc:
                entry["error"] = str(exc)
            else:
                item.submission_id = new.id
                entry["new_submission_id"] = str(new.id)
            history.record_regrade(
                session, item=item, regrade_id=started.id, old_submission_id=old.id,
                new_submission_id=item.submission_id if entry["error"] is None else None,
                old_score=entry["old_score"], old_max_score=entry["old_max_score"],
                actor=requested_by, error=entry["error"])
        entries.append(entry)
    started.entries = entries
    session.flush()
    return started
