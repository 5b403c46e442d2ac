"""A signed request changes state once: replays within the window are refused or answered as
repeats, and change nothing."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import session_scope
from bridge.intake import replay
from bridge.intake.models import AcceptedSignature, IntakeItem
from bridge.intake.repository import SignatureRepository
from bridge.worker.jobs import MOODLE_QUEUE
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle


def _rows(session: Session, model: type[Any]) -> list[str]:
    """Every row of a table as text: compared before and after a replay."""
    session.expire_all()
    columns = [c.key for c in inspect(model).columns]
    return sorted(repr([getattr(row, c) for c in columns]) for row in session.scalars(select(model)))


def _upload(fake: FakeMoodle, yaml: str, timestamp: int) -> dict[str, Any]:
    body = json.dumps({"schema": 1, "site": fake.site, "course_id": 2, "cmid": 1,
                       "kind": "assign", "instance_id": 1, "exercise_yaml": yaml}).encode()
    return {"content": body, "headers": fake.sign(body, timestamp)}


def test_replayed_exercise_upload_cannot_roll_the_exercise_back(
        moodle_site: FakeMoodle, client: TestClient) -> None:
    now = int(time.time())
    first = _upload(moodle_site, HELLO_EXERCISE, now - 20)
    assert client.post("/api/v1/intake/exercises", **first).json()["version"] == 1
    second = _upload(moodle_site, HELLO_EXERCISE.replace("Ada", "Bob"), now - 10)
    assert client.post("/api/v1/intake/exercises", **second).json()["version"] == 2

    for replayed in (first, second):
        response = client.post("/api/v1/intake/exercises", **replayed)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "replayed"
    link = client.get(f"/api/v1/sites/{moodle_site.site}/assignments/1/exercise").json()
    assert link["exercise_version"] == 2  # still the newest


def test_replayed_notification_is_a_repeat_and_changes_nothing(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        redis_client: redis.Redis) -> None:
    sub = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    body = moodle_site.notification_body(sub)
    headers = moodle_site.sign(body)
    first = client.post("/api/v1/intake/notifications", content=body, headers=headers)
    assert first.status_code == 202
    # A newer save of the same attempt refetches the item and takes its event id over.
    newer = moodle_site.notification_body(sub, timecreated=sub.timemodified + 30)
    assert client.post("/api/v1/intake/notifications", content=newer,
                       headers=moodle_site.sign(newer)).status_code == 202
    items, jobs = _rows(session, IntakeItem), redis_client.llen(MOODLE_QUEUE)

    again = client.post("/api/v1/intake/notifications", content=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicate"] is True
    assert _rows(session, IntakeItem) == items
    assert redis_client.llen(MOODLE_QUEUE) == jobs


def test_signatures_are_forgotten_once_their_window_closed(session: Session) -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    stamp = int(now.timestamp())
    assert replay.accept_once(session, site="s", signature="sha256=old", timestamp=stamp - 400,
                              window_s=300, now=now)
    assert replay.accept_once(session, site="s", signature="sha256=new", timestamp=stamp,
                              window_s=300, now=now)
    assert not replay.accept_once(session, site="s", signature="sha256=new", timestamp=stamp,
                                  window_s=300, now=now)
    later = datetime.fromtimestamp(stamp + 301, UTC)
    replay.accept_once(session, site="s", signature="sha256=later", timestamp=stamp + 301,
                       window_s=300, now=later)
    kept = session.scalars(select(AcceptedSignature.signature)).all()
    assert sorted(kept) == ["sha256=later"]  # both others had expired by then
    assert session.scalar(select(func.count()).select_from(AcceptedSignature)) == 1


def test_two_replays_racing_are_accepted_once(committed_factory: sessionmaker[Session],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    both_ready = threading.Barrier(2, timeout=10)
    remember = SignatureRepository.remember

    def remember_together(self: SignatureRepository, accepted: AcceptedSignature) -> bool:
        both_ready.wait()
        return remember(self, accepted)

    monkeypatch.setattr(SignatureRepository, "remember", remember_together)
    accepted: list[bool] = []

    def deliver() -> None:
        with session_scope(committed_factory) as session:
            accepted.append(replay.accept_once(session, site="s", signature="sha256=x",
                                               timestamp=int(time.time()), window_s=300))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(accepted) == [False, True]
