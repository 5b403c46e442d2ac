"""Celery tasks of grading: thin shells over bridge.grading.service, taking ids only."""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown
from sqlalchemy.exc import OperationalError

from bridge.db import session_scope
from bridge.grading import GRADE_SUBMISSION, REQUEUE_STALE
from bridge.grading.metrics import record_grading
from bridge.grading.sandbox import close_sandbox, get_sandbox, reap_orphans_once
from bridge.grading.service import Outcome, grade_submission, mark_failed
from bridge.submissions import service as submissions
from bridge.worker.metrics import SweepKind, count_requeues
from grader import ImageMissing, SandboxError, SandboxFailure, sandbox_failure

MAX_RETRIES = 8


@shared_task(name=GRADE_SUBMISSION, bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=MAX_RETRIES)
def grade_submission_task(self: Any, submission_id: str) -> str:
    """Grade one submission; retried with backoff when the sandbox or a lease is in the way."""
    sid = uuid.UUID(submission_id)
    countdown = min(2 ** self.request.retries * 5, 300)
    try:
        outcome = grade_submission(sid, get_sandbox(), on_result=record_grading)
    except (SandboxError, ImageMissing) as exc:
        if isinstance(exc, ImageMissing):  # the sandbox counts its own failures
            sandbox_failure(SandboxFailure.IMAGE_MISSING)
        if self.request.retries >= MAX_RETRIES:
            mark_failed(sid, f"sandbox unavailable: {exc}")
            raise
        raise self.retry(exc=exc, countdown=countdown) from exc
    except OperationalError as exc:
        # The database is restarting or unreachable: nothing was recorded, so try again later
        # (past the last retry the requeue sweep still finds the submission queued).
        raise self.retry(exc=exc, countdown=countdown) from exc
    if outcome is Outcome.BUSY:
        # Another worker holds the lease (or held it and died): look again after it expires.
        raise self.retry(countdown=countdown)
    return outcome.value


@shared_task(name=REQUEUE_STALE)
def requeue_stale_task() -> int:
    """Periodic: re-send jobs of submissions left queued or running past their lease."""
    with session_scope() as session:
        return count_requeues(SweepKind.GRADING, len(submissions.requeue_stale(session)))


@worker_process_init.connect
def _reap_orphans(**_: Any) -> None:
    """Containers left by a worker process that died are removed when a new one starts."""
    if _serves_grading():
        reap_orphans_once()


@worker_process_shutdown.connect
def _close_sandbox(**_: Any) -> None:
    close_sandbox()


def _serves_grading() -> bool:
    """Whether this worker consumes the grading queue (the Moodle worker has no engine)."""
    from celery import current_app

    from bridge.worker.jobs import GRADING_QUEUE

    return GRADING_QUEUE in current_app.amqp.queues.consume_from
