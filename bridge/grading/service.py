"""Grading a stored submission: claim it, run the engine outside a transaction, record once.

Every state change is a committed row. A run holds a lease; a worker that dies leaves the
lease to expire, and the next delivery of the job (or the sweep) grades the submission
again. A result is written only by the holder of a live lease, once per grading round.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.orm import Session, sessionmaker

from bridge.config import get_core_settings
from bridge.db import session_scope, utcnow
from bridge.delivery.service import on_graded
from bridge.exercises import service as exercises
from bridge.history import service as history
from bridge.submissions.models import Result, SubmissionStatus
from bridge.submissions.repository import SubmissionRepository
from grader import ExerciseError, GradingResult, Sandbox, grade

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    GRADED = "graded"
    ALREADY_DONE = "already_done"
    BUSY = "busy"            # another worker holds a live lease: try again after it
    MISSING = "missing"
    LEASE_LOST = "lease_lost"
    BROKEN_EXERCISE = "broken_exercise"


def worker_id() -> str:
    """Who holds a lease: host, process and a per-run nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def grade_submission(
    submission_id: uuid.UUID,
    sandbox: Sandbox,
    factory: sessionmaker[Session] | None = None,
    on_result: Callable[[GradingResult], None] | None = None,
) -> Outcome:
    """Grade one stored submission exactly once per grading round."""
    owner = worker_id()
    with session_scope(factory) as session:
        repo = SubmissionRepository(session)
        submission = repo.get_with_files(submission_id)
        if submission is None:
            return Outcome.MISSING
        if submission.status in (SubmissionStatus.GRADED, SubmissionStatus.DELIVERED,
                                 SubmissionStatus.FAILED):
            return Outcome.ALREADY_DONE
        try:
            exercise = exercises.load(session, version_id=submission.exercise_version_id)
        except ExerciseError as exc:
            # Stored exercises were checked on upload; a newer grader may disagree.
            submission.status, submission.error = SubmissionStatus.FAILED, str(exc)
            return Outcome.BROKEN_EXERCISE
        limits = exercise.spec.limits
        margin = get_core_settings().grading_lease_margin_s
        lease = timedelta(seconds=limits.total_time_s + limits.compile_time_s + margin)
        now = utcnow()
        if not repo.claim(submission_id, owner, now, now + lease):
            return Outcome.BUSY
        grading_round = submission.grading_round
        files = {f.path: f.content for f in submission.files}

    try:
        result = grade(exercise, files, sandbox)
    except BaseException:
        with session_scope(factory) as session:
            SubmissionRepository(session).release(submission_id, owner, utcnow())
        raise

    with session_scope(factory) as session:
        repo = SubmissionRepository(session)
        if repo.result_for_round(submission_id, grading_round) is not None:
            return Outcome.ALREADY_DONE
        if not repo.finish(submission_id, owner, grading_round, SubmissionStatus.GRADED, utcnow()):
            log.warning("lease on %s lost before the result was stored", submission_id)
            return Outcome.LEASE_LOST
        repo.add_result(Result(
            submission_id=submission_id, grading_round=grading_round, status=result.status.value,
            score=result.score, max_score=result.max_score, image_digest=result.image_digest,
            grader_version=result.grader_version, document=result.model_dump(mode="json"),
        ))
        # The outbox row commits with the result, or neither does.
        on_graded(session, submission_id=submission_id, grading_round=grading_round)
        history.record_graded(session, submission_id=submission_id, actor=f"job:grading {owner}")
    if on_result is not None:
        on_result(result)
    return Outcome.GRADED


def mark_failed(submission_id: uuid.UUID, error: str,
                factory: sessionmaker[Session] | None = None) -> None:
    """Give up on a submission after the last retry, saying why."""
    with session_scope(factory) as session:
        submission = SubmissionRepository(session).get(submission_id)
        if submission is not None and submission.status is SubmissionStatus.QUEUED:
            submission.status, submission.error = SubmissionStatus.FAILED, error[:2000]
