"""Fetch again: an item refused for good (the bridge's role lacked a capability) is recovered."""

from __future__ import annotations

import json
import secrets
import uuid

import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bridge.intake import links, service
from bridge.intake.models import ActivityKind, IntakeItem, IntakeStatus
from bridge.worker.jobs import MOODLE_QUEUE
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle

NO_ACCESS = json.dumps({"assignments": [], "warnings": [{
    "item": "assignment", "itemid": 1, "warningcode": "3",
    "message": "No access rights in module context"}]}).encode()


def _failed_fetch(fake: FakeMoodle, client: TestClient, session: Session,
                  factory: sessionmaker[Session]) -> uuid.UUID:
    """Student 5's submission, whose fetch Moodle refused for good; the role is fixed after."""
    links.link_exercise_yaml(session, site=fake.site, activity=ActivityKind.ASSIGN, cmid=1,
                             course_id=2, instance_id=1, exercise_yaml=HELLO_EXERCISE)
    session.commit()
    sub = fake.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    item_id = uuid.UUID(fake.send_notification(client, sub).json()["id"])
    fake.raw_answer = NO_ACCESS
    assert service.fetch_item(item_id, factory=factory) is IntakeStatus.FAILED
    fake.raw_answer = None  # the capability was granted since
    return item_id


def _signed(client: TestClient, fake: FakeMoodle, **fields: object) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"schema": 1, "site": fake.site, "nonce": secrets.token_hex(16),
                       **fields}).encode()
    return body, fake.sign(body)


def test_an_operator_fetches_a_failed_item_again_once(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], redis_client: redis.Redis) -> None:
    item_id = _failed_fetch(moodle_site, client, session, db_factory)
    jobs = redis_client.llen(MOODLE_QUEUE)

    first = client.post(f"/api/v1/items/{item_id}/refetch")
    assert first.status_code == 202, first.text
    assert first.json()["refetched"] is True
    assert first.json()["item"]["intake_status"] == "received"
    assert first.json()["item"]["error"] is None
    assert redis_client.llen(MOODLE_QUEUE) == jobs + 1  # the fetch job, sent after the commit

    again = client.post(f"/api/v1/items/{item_id}/refetch")  # a repeat changes nothing
    assert again.status_code == 200 and again.json()["refetched"] is False
    assert redis_client.llen(MOODLE_QUEUE) == jobs + 1

    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED
    session.expire_all()
    assert session.get(IntakeItem, item_id).submission_id is not None
    done = client.post(f"/api/v1/items/{item_id}/refetch")  # fetched: nothing to recover
    assert done.status_code == 409 and done.json()["status"] == "fetched", done.text
    assert client.post(f"/api/v1/items/{uuid.uuid4()}/refetch").status_code == 404
    assert client.post(f"/api/v1/items/{item_id}/refetch",
                       headers={"X-API-Key": "wrong"}).status_code == 401


def test_a_teacher_fetches_a_students_failed_submission_again(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], redis_client: redis.Redis) -> None:
    item_id = _failed_fetch(moodle_site, client, session, db_factory)
    jobs = redis_client.llen(MOODLE_QUEUE)
    body, headers = _signed(client, moodle_site, kind="assign_submission", cmid=1, user_id=5,
                            requested_by=2)

    answer = client.post("/api/v1/intake/items/refetch", content=body, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["refetched"] is True
    assert answer.json()["state"]["state"] == "queued"
    assert redis_client.llen(MOODLE_QUEUE) == jobs + 1
    replayed = client.post("/api/v1/intake/items/refetch", content=body, headers=headers)
    assert replayed.status_code == 409 and replayed.json()["error"] == "replayed"
    assert redis_client.llen(MOODLE_QUEUE) == jobs + 1

    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED
    body, headers = _signed(client, moodle_site, kind="assign_submission", cmid=1, user_id=5)
    fetched = client.post("/api/v1/intake/items/refetch", content=body, headers=headers)
    assert fetched.status_code == 409 and fetched.json()["error"] == "not_refetchable"


def test_a_teacher_asks_only_about_their_own_sites_students(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], redis_client: redis.Redis) -> None:
    _failed_fetch(moodle_site, client, session, db_factory)
    jobs = redis_client.llen(MOODLE_QUEUE)
    body, headers = _signed(client, moodle_site, kind="assign_submission", cmid=1, user_id=6)
    assert client.post("/api/v1/intake/items/refetch", content=body,
                       headers=headers).status_code == 404
    body, _ = _signed(client, moodle_site, kind="assign_submission", cmid=1, user_id=5)
    forged = moodle_site.sign(body, secret="not-the-sites-secret-0123456789abcdef")
    assert client.post("/api/v1/intake/items/refetch", content=body,
                       headers=forged).status_code == 401
    body, headers = _signed(client, moodle_site, kind="assign", cmid=1, user_id=5)
    assert client.post("/api/v1/intake/items/refetch", content=body,
                       headers=headers).status_code == 422
    session.expire_all()
    assert redis_client.llen(MOODLE_QUEUE) == jobs  # nothing refused was changed
    item = session.query(IntakeItem).filter_by(user_id=5).one()
    assert item.status is IntakeStatus.FAILED


def test_an_item_an_older_bridge_could_not_grade_is_fetched_again(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session]) -> None:
    """Recorded `unsupported` (a quiz attempt before quizzes were graded): fetch it now."""
    item_id = _failed_fetch(moodle_site, client, session, db_factory)
    session.expire_all()
    session.get(IntakeItem, item_id).status = IntakeStatus.UNSUPPORTED
    session.commit()
    answer = client.post(f"/api/v1/items/{item_id}/refetch")
    assert answer.status_code == 202 and answer.json()["refetched"] is True, answer.text
    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED
