"""The Moodle worker's jobs wait out a database restart: retried, not failed to the sweep.

A real Moodle-queue worker reaches PostgreSQL through a gate (tests/bridge/worker/gate.py).
Shutting the gate cuts the worker's pooled connections and refuses new ones, as a restart
does; the fetch and delivery jobs sent meanwhile must retry with backoff and finish once the
gate opens again, each exactly once.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml
from celery import Celery
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bridge.config import CoreSettings
from bridge.db import make_engine, utcnow
from bridge.delivery.models import Delivery, DeliveryState
from bridge.delivery.service import DELIVER
from bridge.exercises import service as exercises
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.intake.service import FETCH_ITEM
from bridge.migrate import upgrade
from bridge.submissions.models import Submission, SubmissionStatus
from bridge.worker.jobs import MOODLE_QUEUE, celery_config
from tests.bridge.worker.gate import Gate
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, recreate_database
from tests.grader.helpers import ADD_EXERCISE
from tests.support import celery_worker, wait_until

_TEST_DB = make_url(TEST_DATABASE_URL)
DATABASE_URL = _TEST_DB.set(database=f"{_TEST_DB.database}_dbdown")
BROKER_URL = TEST_REDIS_URL.rsplit("/", 1)[0] + "/13"


@pytest.fixture(scope="module")
def factory() -> Iterator[sessionmaker[Session]]:
    url = DATABASE_URL.render_as_string(hide_password=False)
    recreate_database(url)
    upgrade(url)
    engine = make_engine(url)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture(scope="module")
def producer() -> Celery:
    redis.Redis.from_url(BROKER_URL).flushdb()
    app = Celery("dbdown-producer")
    app.conf.update(celery_config(CoreSettings(broker_url=BROKER_URL)))
    return app


def item(session: Session, n: int, submission_id: uuid.UUID | None = None) -> IntakeItem:
    """A received assignment submission of an activity no exercise is linked to."""
    row = IntakeItem(site="moodle-a", kind=ItemKind.ASSIGN_SUBMISSION, course_id=2, cmid=77,
                     instance_id=7, item_id=1000 + n, user_id=n, attempt_number=0,
                     submitted_at=1, submission_id=submission_id)
    session.add(row)
    session.flush()
    return row


def superseded_delivery(session: Session) -> Delivery:
    """An outbox row of a round its item has moved on from: settled without calling Moodle."""
    version = exercises.create(session, name="add", files={
        "exercise.yaml": yaml.safe_dump(ADD_EXERCISE).encode()})
    old, new = (Submission(exercise_version_id=version.id, status=SubmissionStatus.GRADED)
                for _ in range(2))
    session.add_all([old, new])
    session.flush()
    moved_on = item(session, 99, submission_id=new.id)
    moved_on.status = IntakeStatus.FETCHED
    row = Delivery(item_id=moved_on.id, submission_id=old.id, grading_round=1,
                   next_attempt_at=utcnow())
    session.add(row)
    session.flush()
    return row


def retries_logged(log: Path, task: str) -> int:
    """How many times the worker logged a retry of `task`."""
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if " retry: Retry in " in record.get("message", "") and task in record["message"]:
            count += 1
    return count


def test_fetch_and_delivery_jobs_are_retried_through_a_database_restart(
        factory: sessionmaker[Session], producer: Celery, tmp_path: Path) -> None:
    with factory() as session:
        warm_up, fetched = item(session, 1), item(session, 2)
        delivery = superseded_delivery(session)
        session.commit()

    log = tmp_path / "worker.log"
    target = (DATABASE_URL.host or "127.0.0.1", DATABASE_URL.port or 5432)
    with Gate(target) as gate:
        gate.open()
        env = {"ENVIRONMENT": "test", "BROKER_URL": BROKER_URL, "LOG_FORMAT": "json",
               "DATABASE_URL": DATABASE_URL.set(host="127.0.0.1", port=gate.port)
               .render_as_string(hide_password=False)}
        with celery_worker(MOODLE_QUEUE, os.environ | env, log):
            # The worker's pool holds a connection when the database goes away.
            producer.send_task(FETCH_ITEM, args=[str(warm_up.id)], queue=MOODLE_QUEUE)
            wait_until(lambda: status_of(factory, warm_up.id) is IntakeStatus.NO_EXERCISE,
                       timeout=60, what=lambda: f"the warm-up fetch\n{log.read_text()[-3000:]}")

            gate.shut()
            producer.send_task(FETCH_ITEM, args=[str(fetched.id)], queue=MOODLE_QUEUE)
            producer.send_task(DELIVER, args=[str(delivery.id)], queue=MOODLE_QUEUE)
            wait_until(lambda: retries_logged(log, FETCH_ITEM) and retries_logged(log, DELIVER),
                       timeout=60, what=lambda: f"both jobs to retry\n{log.read_text()[-3000:]}")
            # Still down: nothing was recorded, nothing failed for good.
            assert status_of(factory, fetched.id) is IntakeStatus.RECEIVED
            assert state_of(factory, delivery.id) is DeliveryState.PENDING

            gate.open()
            wait_until(lambda: status_of(factory, fetched.id) is IntakeStatus.NO_EXERCISE
                       and state_of(factory, delivery.id) is DeliveryState.SUPERSEDED,
                       timeout=90, what=lambda: f"both jobs to finish\n{log.read_text()[-3000:]}")

    text = log.read_text(errors="replace")
    assert "raised unexpected" not in text, text[-3000:]
    # Each job ended once, as a success, after its retries.
    assert text.count(f"Task {FETCH_ITEM}[") >= 3  # warm-up success, retry, success
    assert sum(1 for line in text.splitlines()
               if "succeeded in" in line and DELIVER in line) == 1, text[-3000:]


def status_of(factory: sessionmaker[Session], item_id: uuid.UUID) -> IntakeStatus | None:
    with factory() as session:
        found = session.get(IntakeItem, item_id)
        return found.status if found else None


def state_of(factory: sessionmaker[Session], delivery_id: uuid.UUID) -> DeliveryState | None:
    with factory() as session:
        found = session.get(Delivery, delivery_id)
        return found.state if found else None
