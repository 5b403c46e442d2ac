"""Notifications and reconciliation converge on one item per Moodle submission attempt.

On a real Moodle the plugin's event is stamped a moment after the submission is saved, so the
notification's `submitted_at` is a second or two later than the `timemodified` a sweep reads:
that difference once made a retried notification look like a new save and grade twice.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import session_scope
from bridge.intake import links, reconcile, service
from bridge.intake.models import ActivityKind, IntakeItem, IntakeStatus
from bridge.intake.repository import IntakeRepository
from bridge.intake.schemas import Notification
from bridge.intake.service import FETCH_ITEM
from bridge.worker.jobs import MOODLE_QUEUE
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle, FakeSubmission

EVENT_DELAY_S = 1  # Moodle triggers the event after saving the submission


def fetch_jobs(redis_client: redis.Redis) -> int:
    """How many fetch jobs wait on the Moodle queue."""
    return sum(json.loads(raw)["headers"]["task"] == FETCH_ITEM
               for raw in redis_client.lrange(MOODLE_QUEUE, 0, -1))


def items(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IntakeItem)) or 0


def _linked(session: Session, fake: FakeMoodle) -> None:
    links.link_exercise_yaml(session, site=fake.site, activity=ActivityKind.ASSIGN, cmid=1,
                             course_id=2, instance_id=1, exercise_yaml=HELLO_EXERCISE)
    session.commit()


def _notify(client: TestClient, fake: FakeMoodle, sub: FakeSubmission) -> Any:
    body = fake.notification_body(sub, timecreated=sub.timemodified + EVENT_DELAY_S)
    return client.post("/api/v1/intake/notifications", content=body, headers=fake.sign(body))


def test_notification_after_reconciliation_is_a_duplicate(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], redis_client: redis.Redis) -> None:
    _linked(session, moodle_site)
    sub = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    [taken] = reconcile.reconcile(factory=db_factory)  # the plugin was down
    assert service.fetch_item(taken, factory=db_factory) is IntakeStatus.FETCHED
    redis_client.delete(MOODLE_QUEUE)

    for _ in range(2):  # the plugin's notification, then its retry
        response = _notify(client, moodle_site, sub)
        assert response.status_code == 200, response.text
        assert response.json() == {"id": str(taken), "status": "fetched", "duplicate": True}
    assert items(session) == 1 and fetch_jobs(redis_client) == 0


def test_reconciliation_after_notification_takes_nothing(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], redis_client: redis.Redis) -> None:
    _linked(session, moodle_site)
    sub = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    notified = _notify(client, moodle_site, sub)
    assert notified.status_code == 202 and fetch_jobs(redis_client) == 1
    assert reconcile.reconcile(factory=db_factory) == []
    assert items(session) == 1 and fetch_jobs(redis_client) == 1


def test_a_later_save_is_still_refetched_by_the_next_sweep(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], redis_client: redis.Redis) -> None:
    """A notification defers to reconciliation's time, so the sweep must see new saves."""
    _linked(session, moodle_site)
    sub = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    [taken] = reconcile.reconcile(factory=db_factory, now=sub.timemodified)
    assert service.fetch_item(taken, factory=db_factory) is IntakeStatus.FETCHED
    sub.timemodified += 60  # saved again, same attempt
    assert _notify(client, moodle_site, sub).json()["duplicate"] is True
    assert reconcile.reconcile(factory=db_factory, now=sub.timemodified) == [taken]
    session.expire_all()
    assert session.get(IntakeItem, taken).status is IntakeStatus.RECEIVED  # to be refetched
    assert reconcile.reconcile(factory=db_factory, now=sub.timemodified + 5) == []


def test_notification_and_sweep_racing_make_one_item(
        moodle_site: FakeMoodle, committed_factory: sessionmaker[Session],
        redis_client: redis.Redis, monkeypatch: Any) -> None:
    """Both look, find nothing, and insert at once: the unique constraint keeps one item."""
    with session_scope(committed_factory) as setup:
        links.link_exercise_yaml(setup, site=moodle_site.site, activity=ActivityKind.ASSIGN,
                                 cmid=1, course_id=2, instance_id=1,
                                 exercise_yaml=HELLO_EXERCISE)
    sub = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    found = moodle_site_submissions(moodle_site)
    notification = Notification.model_validate_json(
        moodle_site.notification_body(sub, timecreated=sub.timemodified + EVENT_DELAY_S))

    both_looked = threading.Barrier(2, timeout=10)
    insert = IntakeRepository.insert_unique

    def insert_after_both_looked(self: IntakeRepository, item: IntakeItem) -> bool:
        both_looked.wait()
        return insert(self, item)

    monkeypatch.setattr(IntakeRepository, "insert_unique", insert_after_both_looked)
    outcomes: dict[str, Any] = {}

    def notify() -> None:
        with session_scope(committed_factory) as session:
            outcomes["notification"] = service.record_notification(
                session, notification=notification)[1]

    def sweep() -> None:
        with session_scope(committed_factory) as session:
            outcomes["sweep"] = reconcile.take_in_found(
                session, site=moodle_site.site, cmid=1, course_id=2, instance_id=1,
                found=found)

    threads = [threading.Thread(target=notify), threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert set(outcomes) == {"notification", "sweep"}, "a thread failed"
    with session_scope(committed_factory) as session:
        assert items(session) == 1
    # Exactly one of them created the item (notification: duplicate False; sweep: its id).
    assert (outcomes["notification"] is False) != bool(outcomes["sweep"])
    assert fetch_jobs(redis_client) == 1


def moodle_site_submissions(fake: FakeMoodle) -> list[Any]:
    """What a sweep reads from the stand-in for assignment 1."""
    from bridge.moodle import client_for_site

    with client_for_site(fake.site) as moodle:
        return moodle.get_submissions([1], status="submitted").for_assignment(1)
