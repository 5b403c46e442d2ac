"""The grading pipeline against the real database and sandbox: once per round, never lost."""

from __future__ import annotations

import uuid
from datetime import timedelta

import docker
import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import utcnow
from bridge.exercises import service as exercises
from bridge.grading.service import Outcome, grade_submission
from bridge.submissions import service as submissions
from bridge.submissions.models import Result, Submission, SubmissionStatus
from bridge.submissions.repository import SubmissionRepository
from grader.config import GraderSettings
from grader.sandbox import SandboxError
from grader.sandbox.docker import DockerSandbox
from tests.grader.helpers import ADD_EXERCISE, GOOD_PY


def make_submission(factory: sessionmaker[Session], code: bytes = GOOD_PY) -> uuid.UUID:
    with factory() as session:
        version = exercises.create(session, name="add",
                                   files={"exercise.yaml": yaml.safe_dump(ADD_EXERCISE).encode()})
        submission = submissions.create(session, exercise_id=version.exercise_id,
                                        files={"solution.py": code})
        session.commit()
        return submission.id


def results_of(factory: sessionmaker[Session], sid: uuid.UUID) -> list[Result]:
    with factory() as session:
        return list(session.scalars(select(Result).where(Result.submission_id == sid)))


def test_graded_once_and_stored(db_factory: sessionmaker[Session],
                                sandbox: DockerSandbox) -> None:
    sid = make_submission(db_factory)
    assert grade_submission(sid, sandbox, db_factory) is Outcome.GRADED
    assert grade_submission(sid, sandbox, db_factory) is Outcome.ALREADY_DONE
    [result] = results_of(db_factory, sid)
    assert (result.score, result.max_score, result.status) == (3, 3, "passed")
    assert result.image_digest.startswith("sha256:")
    assert result.document["tests"][1]["visibility"] == "hidden"
    with db_factory() as session:
        submission = session.get(Submission, sid)
        assert submission is not None
        assert submission.status is SubmissionStatus.GRADED
        assert submission.lease_owner is None and submission.run_count == 1


def test_dead_worker_lease_expires_and_submission_is_graded_again(
    db_factory: sessionmaker[Session], sandbox: DockerSandbox
) -> None:
    sid = make_submission(db_factory)
    now = utcnow()
    with db_factory() as session:  # a worker claims it, then dies without a result
        assert SubmissionRepository(session).claim(sid, "dead-worker", now,
                                                   now + timedelta(minutes=5))
        session.commit()
    assert grade_submission(sid, sandbox, db_factory) is Outcome.BUSY
    assert results_of(db_factory, sid) == []
    with db_factory() as session:  # its lease runs out
        submission = session.get(Submission, sid)
        assert submission is not None and submission.status is SubmissionStatus.RUNNING
        submission.lease_until = now - timedelta(seconds=1)
        session.commit()
        assert submissions.requeue_stale(session) == [sid]  # the sweep re-sends it
    assert grade_submission(sid, sandbox, db_factory) is Outcome.GRADED
    [result] = results_of(db_factory, sid)
    assert result.score == 3
    with db_factory() as session:
        submission = session.get(Submission, sid)
        assert submission is not None and submission.run_count == 2


def test_engine_down_gives_the_submission_back(db_factory: sessionmaker[Session]) -> None:
    sid = make_submission(db_factory)
    dead = DockerSandbox(GraderSettings(),
                         client=docker.DockerClient(base_url="unix:///nonexistent/docker.sock",
                                                       version="1.41"))
    with pytest.raises(SandboxError, match="Docker engine unavailable"):
        grade_submission(sid, dead, db_factory)
    with db_factory() as session:
        submission = session.get(Submission, sid)
        assert submission is not None
        assert submission.status is SubmissionStatus.QUEUED and submission.lease_owner is None
        count = session.scalar(select(func.count()).select_from(Result))
    assert count == 0


def test_missing_submission(db_factory: sessionmaker[Session], sandbox: DockerSandbox) -> None:
    assert grade_submission(uuid.uuid4(), sandbox, db_factory) is Outcome.MISSING
