"""Real Celery workers on Redis and PostgreSQL: grading on its own queue, with no secret in
its environment, and surviving a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import yaml
from celery import Celery
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bridge.config import CoreSettings
from bridge.db import make_engine
from bridge.exercises import service as exercises
from bridge.grading import GRADE_SUBMISSION
from bridge.migrate import upgrade
from bridge.submissions import service as submissions
from bridge.submissions.models import Submission, SubmissionStatus
from bridge.submissions.repository import SubmissionRepository
from bridge.worker.jobs import GRADING_QUEUE, celery_config
from grader.sandbox.docker import LABEL, OWNER_LABEL
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, recreate_database
from tests.support import SECRET_VARIABLES, celery_worker, grading_env, wait_until

_TEST_DB = make_url(TEST_DATABASE_URL)
E2E_DATABASE_URL = str(_TEST_DB.set(database=f"{_TEST_DB.database}_e2e")
                       .render_as_string(hide_password=False))
E2E_BROKER_URL = TEST_REDIS_URL.rsplit("/", 1)[0] + "/14"


@pytest.fixture(scope="module")
def factory() -> Iterator[sessionmaker[Session]]:
    recreate_database(E2E_DATABASE_URL)
    upgrade(E2E_DATABASE_URL)
    engine = make_engine(E2E_DATABASE_URL)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture(scope="module")
def producer() -> Celery:
    import redis

    redis.Redis.from_url(E2E_BROKER_URL).flushdb()
    app = Celery("e2e-producer")
    app.conf.update(celery_config(CoreSettings(broker_url=E2E_BROKER_URL,
                                               database_url=E2E_DATABASE_URL)))
    return app


@pytest.fixture(scope="module")
def worker(factory: sessionmaker[Session], tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[subprocess.Popen[bytes]]:
    """A grading worker as production starts it: production mode, and no secret at all."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = grading_env(DATABASE_URL=E2E_DATABASE_URL, BROKER_URL=E2E_BROKER_URL,
                      ENVIRONMENT="production", GRADING_LEASE_MARGIN_S="2")
    assert not set(SECRET_VARIABLES) & set(env)
    with celery_worker(GRADING_QUEUE, env, log) as process:
        yield process
    print(log.read_text()[-3000:])


def submit(factory: sessionmaker[Session], producer: Celery, code: str) -> uuid.UUID:
    spec = {"language": "python", "entrypoint": "solution.py",
            "limits": {"time_s": 5, "total_time_s": 10, "compile_time_s": 5},
            "tests": [{"name": "adds", "stdin": "2 3\n", "expected_stdout": "5\n"}]}
    with factory() as session:
        version = exercises.create(session, name="e2e",
                                   files={"exercise.yaml": yaml.safe_dump(spec).encode()})
        submission = submissions.create(session, exercise_id=version.exercise_id,
                                        files={"solution.py": code.encode()})
        session.commit()
        session.info.clear()  # the test sends the job itself, to the e2e broker
    producer.send_task(GRADE_SUBMISSION, args=[str(submission.id)], queue=GRADING_QUEUE)
    return submission.id


def wait_for(factory: sessionmaker[Session], sid: uuid.UUID, status: SubmissionStatus,
             timeout: float = 90) -> Submission:
    def reached() -> Submission | None:
        with factory() as session:
            found = SubmissionRepository(session).get(sid)
            return found if found is not None and found.status is status else None

    return wait_until(reached, timeout=timeout, what=f"submission {sid} to be {status}")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def results_of(factory: sessionmaker[Session], sid: uuid.UUID) -> list[float]:
    with factory() as session:
        result = SubmissionRepository(session).latest_result(sid)
        return [] if result is None else [result.score]


def test_worker_grades_a_submission(factory: sessionmaker[Session], producer: Celery,
                                    worker: subprocess.Popen[bytes]) -> None:
    sid = submit(factory, producer, "a, b = map(int, input().split())\nprint(a + b)\n")
    wait_for(factory, sid, SubmissionStatus.GRADED)
    assert results_of(factory, sid) == [1]


def test_killed_worker_leaves_the_submission_to_be_graded_again(
    factory: sessionmaker[Session], producer: Celery, worker: subprocess.Popen[bytes]
) -> None:
    code = "import time\ntime.sleep(2)\na, b = map(int, input().split())\nprint(a + b)\n"
    sid = submit(factory, producer, code)
    wait_for(factory, sid, SubmissionStatus.RUNNING)
    [child] = children(worker.pid)
    os.kill(child, signal.SIGKILL)  # mid-run: the result was never written

    graded = wait_for(factory, sid, SubmissionStatus.GRADED, timeout=120)
    assert graded.run_count >= 2
    with factory() as session:
        assert len(SubmissionRepository(session).results(sid)) == 1
    assert results_of(factory, sid) == [1]
    # The dead child's warm container was removed by its successor at start-up.
    client = docker.from_env()
    owners = {c.labels.get(OWNER_LABEL, "")
              for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"})}
    assert not any(owner.endswith(f":{child}") for owner in owners)


def test_a_grading_job_is_retried_while_the_database_is_unreachable(
        tmp_path: Path, producer: Celery) -> None:
    """A database restart must not turn grading jobs into failures that wait for the sweep."""
    unreachable = "postgresql+psycopg://postgres:postgres@127.0.0.1:9/nowhere"
    queue = f"grading-down-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = grading_env(DATABASE_URL=unreachable, BROKER_URL=E2E_BROKER_URL, ENVIRONMENT="test")
    with celery_worker(queue, env, log):
        producer.send_task(GRADE_SUBMISSION, args=[str(uuid.uuid4())], queue=queue)
        wait_until(lambda: "retry" in log.read_text().lower(), timeout=60,
                   what=lambda: f"a retry in the worker's log\n{log.read_text()[-3000:]}")
    assert "raised unexpected" not in log.read_text()
