"""Celery tasks: thin shells over grader.pipeline, taking ids only."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import docker

from bridge.db import session_scope
from bridge.jobs import GRADE_SUBMISSION
from bridge.submissions import service as submissions
from grader.config import get_grader_settings
from grader.images import ImageMissing
from grader.metrics import SandboxFailure, record_grading, sandbox_failure
from grader.pipeline import Outcome, grade_submission, mark_failed
from grader.sandbox import SandboxError
from grader.sandbox.docker import DockerSandbox, reap_orphans
from grader.worker import app

log = logging.getLogger(__name__)
_sandbox: DockerSandbox | None = None
MAX_RETRIES = 8


def get_sandbox() -> DockerSandbox:
    """This worker process's sandbox (its warm containers live as long as the process)."""
    global _sandbox
    if _sandbox is None:
        _sandbox = DockerSandbox(get_grader_settings())
    return _sandbox


def close_sandbox() -> None:
    global _sandbox
    if _sandbox is not None:
        _sandbox.close()
        _sandbox = None


def reap_orphans_once() -> None:
    try:
        removed = reap_orphans(docker.from_env())
    except docker.errors.DockerException:
        log.exception("cannot reach the Docker engine to remove orphaned sandboxes")
        return
    if removed:
        log.info("removed %d orphaned sandbox containers", len(removed))


@app.task(name=GRADE_SUBMISSION, bind=True, acks_late=True, reject_on_worker_lost=True,
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
    if outcome is Outcome.BUSY:
        # Another worker holds the lease (or held it and died): look again after it expires.
        raise self.retry(countdown=countdown)
    return outcome.value


@app.task(name="grader.requeue_stale")
def requeue_stale_task() -> int:
    """Periodic: re-send jobs of submissions left queued or running past their lease."""
    with session_scope() as session:
        return len(submissions.requeue_stale(session))
