"""Submission logic: accept files for an exercise, report status, re-send lost jobs."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.exercises import service as exercises
from bridge.exercises.models import ExerciseVersion
from bridge.exercises.repository import ExerciseRepository
from bridge.grading import GRADE_SUBMISSION
from bridge.submissions.models import Result, Submission
from bridge.submissions.repository import SubmissionRepository
from bridge.worker.jobs import enqueue_job
from grader import Exercise as LoadedExercise
from grader import check_submission

QUEUED_GRACE = timedelta(minutes=5)


class SubmissionNotFound(LookupError):
    pass


def create(session: Session, *, exercise_id: uuid.UUID, files: dict[str, bytes],
           version: int | None = None) -> Submission:
    """Record a submission and queue its grading (sent once the session commits).

    Raises SubmissionRejected for files that could never be graded, ExerciseNotFound for an
    unknown exercise or version.
    """
    if version is None:
        exercise_version = exercises.latest(session, exercise_id=exercise_id)
    else:
        exercise_version = _version(session, exercise_id, version)
    loaded = exercises.load(session, version_id=exercise_version.id)
    return create_for_version(session, version=exercise_version, loaded=loaded, files=files)


def create_for_version(session: Session, *, version: ExerciseVersion, loaded: LoadedExercise,
                       files: dict[str, bytes]) -> Submission:
    """create() with the version already loaded (a regrade loads it once for every student)."""
    checked = check_submission(loaded, files)
    submission = SubmissionRepository(session).add_with_files(
        Submission(exercise_version_id=version.id), checked
    )
    enqueue_job(session, GRADE_SUBMISSION, str(submission.id))
    return submission


def _version(session: Session, exercise_id: uuid.UUID, number: int) -> ExerciseVersion:
    found = ExerciseRepository(session).version_by_number(exercise_id, number)
    if found is None:
        raise exercises.ExerciseNotFound(exercise_id)
    return found


def get(
    session: Session, *, submission_id: uuid.UUID
) -> tuple[Submission, Result | None, ExerciseVersion]:
    """A submission, its newest result and the exercise version it was made for."""
    repo = SubmissionRepository(session)
    submission = repo.get(submission_id)
    if submission is None:
        raise SubmissionNotFound(submission_id)
    version = ExerciseRepository(session).get_version(submission.exercise_version_id)
    assert version is not None
    return submission, repo.latest_result(submission_id), version


def count_by_status(session: Session) -> dict[str, int]:
    """How many submissions are in each status (for the metrics gauge)."""
    return SubmissionRepository(session).count_by_status()


def requeue_stale(session: Session, *, now: datetime | None = None) -> list[uuid.UUID]:
    """Re-send the jobs of submissions whose job was lost (broker down, worker killed)."""
    now = now or utcnow()
    stale = SubmissionRepository(session).stale(now, queued_before=now - QUEUED_GRACE)
    for submission_id in stale:
        enqueue_job(session, GRADE_SUBMISSION, str(submission_id))
    return stale
