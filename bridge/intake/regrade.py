"""Regrading an activity: every user's latest item graded again with the newest exercise.

One request records the regrade and a new submission per item; each submission is its own
grading job (sent after the commit), so a course of 500 spreads over every grading worker.
The new grades go through the outbox like any other, which leaves a teacher's hand grade alone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bridge.exercises import service as exercises
from bridge.exercises.models import ExerciseVersion
from bridge.history import service as history
from bridge.intake.links import get_link
from bridge.intake.models import ActivityKind, IntakeItem, ItemKind, Regrade
from bridge.intake.repository import IntakeRepository
from bridge.submissions import service as submissions
from bridge.submissions.repository import SubmissionRepository
from grader import Exercise as LoadedExercise
from grader import SubmissionRejected


def regrade(session: Session, *, site: str, activity: ActivityKind, cmid: int,
            requested_by: str = history.OPERATOR_ACTOR) -> Regrade:
    """Grade every user's latest item of an activity again, with its newest exercise version."""
    _, version = get_link(session, site=site, activity=activity, cmid=cmid)
    loaded = exercises.load(session, version_id=version.id)  # once, not once per student
    repo = IntakeRepository(session)
    kind = ItemKind.ASSIGN_SUBMISSION if activity is ActivityKind.ASSIGN \
        else ItemKind.QUIZ_ATTEMPT
    started = repo.add_regrade(Regrade(site=site, activity=activity, cmid=cmid,
                                       exercise_version_id=version.id,
                                       requested_by=requested_by[:200], entries=[]))
    return regrade_items(session, started, repo.latest_per_user(site, kind, cmid),
                         version=version, loaded=loaded, requested_by=requested_by)


def regrade_items(session: Session, started: Regrade, items: list[IntakeItem], *,
                  version: ExerciseVersion, loaded: LoadedExercise, requested_by: str) -> Regrade:
    """A new submission of `version` for each item's files, old scores kept in `started`."""
    subs = SubmissionRepository(session)
    entries = []
    old_ids = [i.submission_id for i in items if i.submission_id is not None]
    olds, old_results = subs.many_with_files(old_ids), subs.latest_results(old_ids)
    for item in items:
        old_id = item.submission_id
        old = olds.get(old_id) if old_id else None
        old_result = old_results.get(old_id) if old_id else None
        entry: dict[str, Any] = {
            "item": str(item.id), "user_id": item.user_id,
            "old_submission_id": str(old_id) if old_id else None,
            "old_score": old_result.score if old_result else None,
            # The new version may change the points: "4 / 5 -> 4 / 7" is a changed grade.
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
