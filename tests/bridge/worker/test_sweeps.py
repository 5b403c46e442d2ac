"""The sweeps behind "no submission is lost", run as their tasks: real PostgreSQL, real Redis.

`requeue_stale` re-sends the grading of submissions left queued past the grace or running past
their lease; `requeue_due` re-sends deliveries whose try is due; `requeue_stuck` re-sends the
fetch of items untouched past their grace. Each counts what it re-sent. Each test reads what landed on
the broker's `grading` and `moodle` queues, and checks that fresh and finished rows were left
as they were.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
import redis
import yaml
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session, sessionmaker

from bridge.config import Settings
from bridge.db import utcnow
from bridge.delivery import service as delivery
from bridge.delivery.models import Delivery, DeliveryState
from bridge.delivery.tasks import sweep_task
from bridge.exercises import service as exercises
from bridge.grading import GRADE_SUBMISSION, REQUEUE_STALE
from bridge.grading.tasks import requeue_stale_task
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.intake.service import FETCH_ITEM
from bridge.intake.stuck import FETCH_RETRY_MAX_S, REQUEUE_STUCK, STUCK_GRACE, keep_alive
from bridge.intake.tasks import requeue_stuck_task
from bridge.submissions.models import Submission, SubmissionStatus
from bridge.submissions.service import QUEUED_GRACE
from bridge.worker.app import app
from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE, queue_for
from tests.grader.helpers import ADD_EXERCISE, GOOD_PY

Sent = list[tuple[str, list[str]]]


@pytest.fixture
def tasks_db(db_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
             ) -> sessionmaker[Session]:
    """The tasks open their sessions on the rolled-back test database (the broker stays real)."""
    monkeypatch.setattr("bridge.db.get_sessionmaker", lambda: db_factory)
    return db_factory


def on_broker(client: redis.Redis) -> dict[str, Sent]:
    """The jobs waiting on each queue of the Redis broker: (task name, arguments), sorted."""
    found: dict[str, Sent] = {}
    for key in client.scan_iter():
        if client.type(key) != b"list":
            continue
        jobs = []
        for raw in client.lrange(key, 0, -1):
            message = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            jobs.append((message["headers"]["task"], args))
        found[key.decode()] = sorted(jobs)
    return found


def new_version(session: Session) -> uuid.UUID:
    version = exercises.create(session, name="add",
                               files={"exercise.yaml": yaml.safe_dump(ADD_EXERCISE).encode()})
    return version.id


def submission(session: Session, version_id: uuid.UUID, status: SubmissionStatus, *,
               age: timedelta, lease_left: timedelta | None = None) -> Submission:
    """A submission last changed `age` ago, its lease ending `lease_left` from now."""
    now = utcnow()
    row = Submission(exercise_version_id=version_id, status=status, created_at=now - age,
                     modified_at=now - age)
    if lease_left is not None:
        row.lease_owner, row.lease_until = "worker@host:1", now + lease_left
    session.add(row)
    session.flush()
    return row


def snapshot(session: Session, rows: Sequence[Submission | Delivery]) -> list[tuple[object, ...]]:
    """What the sweeps could have changed on `rows`, read back from the database."""
    session.expire_all()
    fresh = [session.get(type(row), row.id) for row in rows]
    return [(row.id, getattr(row, "status", None), getattr(row, "state", None), row.modified_at,
             getattr(row, "next_attempt_at", None), getattr(row, "lease_until", None))
            for row in fresh if row is not None]


def test_sweeps_are_scheduled_on_the_moodle_queue() -> None:
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {REQUEUE_STALE, delivery.SWEEP} <= scheduled
    # They need only the database and the broker: never a grading worker's time.
    assert queue_for(REQUEUE_STALE) == MOODLE_QUEUE
    assert queue_for(delivery.SWEEP) == MOODLE_QUEUE
    assert queue_for(GRADE_SUBMISSION) == GRADING_QUEUE


def test_requeue_stale_resends_lost_grading_jobs_to_the_grading_queue(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    with tasks_db() as session:
        version = new_version(session)
        lost_queued = submission(session, version, SubmissionStatus.QUEUED,
                                 age=QUEUED_GRACE + timedelta(minutes=1))
        dead_lease = submission(session, version, SubmissionStatus.RUNNING,
                                age=timedelta(minutes=30), lease_left=timedelta(seconds=-5))
        left_alone = [
            # Its job was sent a minute ago and is still on its way.
            submission(session, version, SubmissionStatus.QUEUED, age=timedelta(minutes=1)),
            # A worker holds it, and its lease still runs.
            submission(session, version, SubmissionStatus.RUNNING, age=timedelta(hours=1),
                       lease_left=timedelta(minutes=2)),
            *(submission(session, version, status, age=timedelta(days=1))
              for status in (SubmissionStatus.GRADED, SubmissionStatus.DELIVERED,
                             SubmissionStatus.FAILED)),
        ]
        session.commit()
        before = snapshot(session, [lost_queued, dead_lease, *left_alone])

    assert requeue_stale_task() == 2

    assert on_broker(redis_client) == {GRADING_QUEUE: sorted(
        [(GRADE_SUBMISSION, [str(lost_queued.id)]), (GRADE_SUBMISSION, [str(dead_lease.id)])])}
    with tasks_db() as session:
        # The sweep only re-sends: the grading task takes the lease when it runs.
        assert snapshot(session, [lost_queued, dead_lease, *left_alone]) == before


def test_requeue_stale_with_nothing_lost_sends_nothing(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    with tasks_db() as session:
        version = new_version(session)
        submission(session, version, SubmissionStatus.QUEUED, age=timedelta(seconds=10))
        submission(session, version, SubmissionStatus.GRADED, age=timedelta(days=3))
        session.commit()

    assert requeue_stale_task() == 0
    assert on_broker(redis_client) == {}


def moodle_item(session: Session, version_id: uuid.UUID, user_id: int) -> IntakeItem:
    graded = submission(session, version_id, SubmissionStatus.GRADED, age=timedelta(hours=1))
    item = IntakeItem(site="moodle-a", kind=ItemKind.ASSIGN_SUBMISSION, course_id=2, cmid=1,
                      instance_id=1, item_id=100 + user_id, user_id=user_id, attempt_number=0,
                      submitted_at=1, status=IntakeStatus.FETCHED, submission_id=graded.id)
    session.add(item)
    session.flush()
    return item


def outbox_row(session: Session, version_id: uuid.UUID, user_id: int, state: DeliveryState,
               next_attempt_at: datetime | None) -> Delivery:
    item = moodle_item(session, version_id, user_id)
    assert item.submission_id is not None
    row = Delivery(item_id=item.id, submission_id=item.submission_id, grading_round=1,
                   state=state, next_attempt_at=next_attempt_at, attempts=1)
    session.add(row)
    session.flush()
    return row


def test_requeue_due_resends_due_deliveries_to_the_moodle_queue(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    now = utcnow()
    grace = delivery.SWEEP_GRACE
    with tasks_db() as session:
        version = new_version(session)
        due = [
            outbox_row(session, version, 1, DeliveryState.PENDING, now - timedelta(minutes=10)),
            # A retry whose countdown job was lost with the broker.
            outbox_row(session, version, 2, DeliveryState.RETRYING,
                       now - grace - timedelta(seconds=30)),
            outbox_row(session, version, 3, DeliveryState.PENDING, None),
        ]
        left_alone = [
            # Its retry countdown is still running.
            outbox_row(session, version, 4, DeliveryState.RETRYING, now + timedelta(minutes=10)),
            # Just due: its own job is about to run, the sweep must not race it.
            outbox_row(session, version, 5, DeliveryState.PENDING,
                       now - grace + timedelta(seconds=30)),
            *(outbox_row(session, version, 6 + n, state, now - timedelta(hours=1))
              for n, state in enumerate((DeliveryState.DELIVERED, DeliveryState.PARKED,
                                         DeliveryState.TEACHER_OVERRIDE,
                                         DeliveryState.SUPERSEDED))),
        ]
        session.commit()
        before = snapshot(session, [*due, *left_alone])

    assert sweep_task() == 3

    assert on_broker(redis_client) == {MOODLE_QUEUE: sorted(
        (delivery.DELIVER, [str(row.id)]) for row in due)}
    with tasks_db() as session:
        # The sweep only re-sends: the delivery job counts the try when it runs.
        assert snapshot(session, [*due, *left_alone]) == before


def test_requeue_due_resends_again_until_the_delivery_settles(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    """A re-sent job lost again is re-sent by the next sweep; a settled row is not."""
    with tasks_db() as session:
        version = new_version(session)
        row = outbox_row(session, version, 1, DeliveryState.RETRYING,
                         utcnow() - timedelta(minutes=5))
        session.commit()

    assert sweep_task() == 1
    redis_client.delete(MOODLE_QUEUE)  # the broker lost it once more
    assert sweep_task() == 1
    assert on_broker(redis_client) == {MOODLE_QUEUE: [(delivery.DELIVER, [str(row.id)])]}

    with tasks_db() as session:
        settled = session.get(Delivery, row.id)
        assert settled is not None
        settled.state, settled.next_attempt_at = DeliveryState.DELIVERED, None
        session.commit()
    redis_client.delete(MOODLE_QUEUE)
    assert sweep_task() == 0
    assert on_broker(redis_client) == {}


def test_a_submission_stays_unseen_by_the_sweep_while_fresh(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    """A real submission (through the service) is re-sent only once its grace has passed."""
    from bridge.submissions import service as submissions

    with tasks_db() as session:
        version = exercises.create(session, name="add", files={
            "exercise.yaml": yaml.safe_dump(ADD_EXERCISE).encode()})
        created = submissions.create(session, exercise_id=version.exercise_id,
                                     files={"solution.py": GOOD_PY})
        session.commit()
        session.info.clear()  # its own job was "lost": never sent
    assert requeue_stale_task() == 0
    assert on_broker(redis_client) == {}

    with tasks_db() as session:
        found = session.get(Submission, created.id)
        assert found is not None
        found.modified_at = utcnow() - QUEUED_GRACE - timedelta(seconds=1)
        session.commit()
    assert requeue_stale_task() == 1
    assert on_broker(redis_client) == {GRADING_QUEUE: [(GRADE_SUBMISSION, [str(created.id)])]}


def requeues(kind: str) -> float:
    """bridge_sweep_requeues_total{kind} in this process's registry."""
    return REGISTRY.get_sample_value("bridge_sweep_requeues_total", {"kind": kind}) or 0.0


def received(session: Session, n: int, *, untouched_for: timedelta,
             status: IntakeStatus = IntakeStatus.RECEIVED) -> IntakeItem:
    """An item last changed `untouched_for` ago."""
    at = utcnow() - untouched_for
    row = IntakeItem(site="moodle-a", kind=ItemKind.ASSIGN_SUBMISSION, course_id=2, cmid=1,
                     instance_id=1, item_id=500 + n, user_id=n, attempt_number=0,
                     submitted_at=1, status=status, created_at=at, modified_at=at)
    session.add(row)
    session.flush()
    return row


def test_requeue_stuck_resends_lost_fetch_jobs_once_per_grace(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    with tasks_db() as session:
        lost = [received(session, n, untouched_for=STUCK_GRACE + timedelta(seconds=5))
                for n in (1, 2)]
        left_alone = [
            # Its job is queued, running, or waiting for its next try (which touched it).
            received(session, 3, untouched_for=STUCK_GRACE - timedelta(seconds=30)),
            received(session, 4, untouched_for=timedelta(hours=1),
                     status=IntakeStatus.FETCHED),
            received(session, 5, untouched_for=timedelta(hours=1), status=IntakeStatus.FAILED),
        ]
        session.commit()
        before = {row.id: row.modified_at for row in left_alone}
    counted = requeues("fetch")

    assert requeue_stuck_task() == 2

    assert on_broker(redis_client) == {MOODLE_QUEUE: sorted(
        (FETCH_ITEM, [str(row.id)]) for row in lost)}
    assert requeues("fetch") == counted + 2
    with tasks_db() as session:
        for row in lost:  # the job just sent is live: touched, so the next sweeps wait for it
            found = session.get(IntakeItem, row.id)
            assert found is not None and found.modified_at is not None
            assert utcnow() - found.modified_at < timedelta(seconds=30)
        assert {row.id: session.get(IntakeItem, row.id).modified_at  # type: ignore[union-attr]
                for row in left_alone} == before

    # A minute later the re-sent jobs are still within their grace: nothing is sent twice.
    redis_client.delete(MOODLE_QUEUE)
    assert requeue_stuck_task() == 0
    assert on_broker(redis_client) == {}
    assert requeues("fetch") == counted + 2


def test_a_fetch_job_that_will_retry_keeps_its_item_from_the_sweep(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    with tasks_db() as session:
        retrying = received(session, 1, untouched_for=STUCK_GRACE + timedelta(minutes=1))
        done = received(session, 2, untouched_for=timedelta(hours=1),
                        status=IntakeStatus.FETCHED)
        session.commit()
        done_at = done.modified_at

    keep_alive(retrying.id, factory=tasks_db)
    keep_alive(done.id, factory=tasks_db)

    assert requeue_stuck_task() == 0
    assert on_broker(redis_client) == {}
    with tasks_db() as session:
        assert session.get(IntakeItem, done.id).modified_at == done_at  # type: ignore[union-attr]


def test_the_stuck_sweep_cannot_race_a_live_fetch_job() -> None:
    """A try waits at most FETCH_RETRY_MAX_S after touching its item, then makes a few Moodle
    calls: all of it inside the grace, and the sweep looks twice within it."""
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert queue_for(REQUEUE_STUCK) == MOODLE_QUEUE
    assert schedule[REQUEUE_STUCK] <= 60
    timeout = Settings.model_fields["moodle_timeout_s"].default
    assert FETCH_RETRY_MAX_S + 2 * timeout < STUCK_GRACE.total_seconds()
    # A lost job waits at most grace + one beat: about 3 minutes, not 10.
    assert STUCK_GRACE.total_seconds() + schedule[REQUEUE_STUCK] <= 180


def test_each_sweep_counts_what_it_resent(
    tasks_db: sessionmaker[Session], redis_client: redis.Redis
) -> None:
    with tasks_db() as session:
        version = new_version(session)
        submission(session, version, SubmissionStatus.QUEUED,
                   age=QUEUED_GRACE + timedelta(minutes=1))
        outbox_row(session, version, 1, DeliveryState.RETRYING, utcnow() - timedelta(hours=1))
        session.commit()
    grading, deliveries = requeues("grading"), requeues("delivery")

    assert requeue_stale_task() == 1
    assert sweep_task() == 1

    assert (requeues("grading"), requeues("delivery")) == (grading + 1, deliveries + 1)
