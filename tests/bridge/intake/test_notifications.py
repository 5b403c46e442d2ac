"""Signed notifications: every shared vector gets its verdict, bad ones store nothing."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bridge.config import MoodleSite, get_settings
from bridge.intake import links, reconcile, service
from bridge.intake.endpoints import get_clock
from bridge.intake.models import IntakeItem, IntakeStatus
from bridge.intake.signing import Verdict, verify
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle

VECTORS = json.loads((Path(__file__).parents[2] / "vectors" / "webhook_vectors.json").read_text())
CASES = {case["name"]: case for case in VECTORS["cases"]}
STATUS = {"valid": 202, "oversized": 413, "missing_header": 400, "malformed_header": 400,
          "unknown_site": 401, "stale": 401, "future": 401, "bad_signature": 401,
          "invalid_json": 400, "schema_invalid": 422, "site_mismatch": 422}


@pytest.fixture
def vector_site(monkeypatch: pytest.MonkeyPatch, client: TestClient) -> TestClient:
    """The bridge configured with the vectors' test-only site and secret, its clock pinned."""
    monkeypatch.setitem(get_settings().moodle_sites, VECTORS["site"], MoodleSite(
        url="http://127.0.0.1:9", token=SecretStr("test-only-unused"),
        webhook_secret=SecretStr(VECTORS["secret"])))
    client.app.dependency_overrides[get_clock] = lambda: lambda: float(VECTORS["now"])
    return client


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(IntakeItem)) or 0


@pytest.mark.parametrize("name", [c["name"] for c in VECTORS["cases"] if c["layer"] == "signature"])
def test_signature_vectors(name: str) -> None:
    case = CASES[name]
    verdict = verify(case["headers"], case["body"].encode(), now=VECTORS["now"],
                     window_s=VECTORS["window_s"], max_bytes=VECTORS["max_body_bytes"],
                     secret_for=lambda s: VECTORS["secret"] if s == VECTORS["site"] else None)
    assert verdict == Verdict(case["reason"])


@pytest.mark.parametrize("name", list(CASES))
def test_every_vector_over_http(name: str, vector_site: TestClient, session: Session) -> None:
    case = CASES[name]
    before = _count(session)
    response = vector_site.post("/api/v1/intake/notifications", content=case["body"].encode(),
                                headers=case["headers"] | {"Content-Type": "application/json"})
    assert response.status_code == STATUS[case["reason"]], response.text
    if case["verdict"] == "accept":
        assert _count(session) == before + 1
        assert response.json()["duplicate"] is False
    else:
        assert response.json()["error"] == case["reason"]
        assert _count(session) == before  # refused: nothing stored


def test_replayed_notification_is_acknowledged_not_duplicated(vector_site: TestClient,
                                                              session: Session) -> None:
    case = CASES["valid_assign_submission"]
    headers = case["headers"] | {"Content-Type": "application/json"}
    first = vector_site.post("/api/v1/intake/notifications", content=case["body"], headers=headers)
    again = vector_site.post("/api/v1/intake/notifications", content=case["body"], headers=headers)
    assert first.status_code == 202 and again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "status": "received", "duplicate": True}
    assert _count(session) == 1


def test_same_attempt_other_event_is_one_item(vector_site: TestClient, session: Session) -> None:
    """Another event for the same submission attempt: older is a duplicate, newer refetches."""
    body = json.loads(CASES["valid_assign_submission"]["body"])
    fake = FakeMoodle(site=VECTORS["site"], secret=VECTORS["secret"])
    first = vector_site.post("/api/v1/intake/notifications", content=json.dumps(body),
                             headers=fake.sign(json.dumps(body).encode(), VECTORS["now"]))
    for delta, duplicate in ((-5, True), (+5, False)):
        other = body | {"event_id": uuid.uuid4().hex * 2, "submitted_at": body["submitted_at"] + delta}
        raw = json.dumps(other).encode()
        response = vector_site.post("/api/v1/intake/notifications", content=raw,
                                    headers=fake.sign(raw, VECTORS["now"]))
        assert response.json()["id"] == first.json()["id"]
        assert response.json()["duplicate"] is duplicate
    assert _count(session) == 1


def test_oversized_body_is_refused_before_parsing(vector_site: TestClient, session: Session) -> None:
    body = b"{" + b" " * 20000 + b"}"
    fake = FakeMoodle(site=VECTORS["site"], secret=VECTORS["secret"])
    response = vector_site.post("/api/v1/intake/notifications", content=body,
                                headers=fake.sign(body, VECTORS["now"]))
    assert response.status_code == 413 and _count(session) == 0


def test_exercise_from_the_plugin_form(moodle_site: FakeMoodle, client: TestClient,
                                       session: Session) -> None:
    """local_bridge\\bridge_client::submit_exercise(): signed, answered with a verdict."""
    saves = iter(range(int(time.time()) - 60, int(time.time())))  # one form save a second

    def upload(yaml: str):
        body = json.dumps({"schema": 1, "site": moodle_site.site, "course_id": 2, "cmid": 1,
                           "kind": "assign", "instance_id": 1, "exercise_yaml": yaml},
                          separators=(",", ":")).encode()
        return client.post("/api/v1/intake/exercises", content=body,
                           headers=moodle_site.sign(body, next(saves)))

    ok = upload(HELLO_EXERCISE)
    assert ok.status_code == 200 and ok.json()["valid"] is True
    assert ok.json()["message"] == "2 tests, 2 points, version 1"
    assert upload(HELLO_EXERCISE).json()["version"] == 1  # saved again unchanged
    assert upload(HELLO_EXERCISE.replace("Ada", "Bob")).json()["version"] == 2
    broken = upload("language: cobol\nentrypoint: x\n")
    assert broken.status_code == 422 and "language" in broken.json()["detail"]
    link = client.get(f"/api/v1/sites/{moodle_site.site}/assignments/1/exercise").json()
    assert link["exercise_version"] == 2 and link["instance_id"] == 1
    unsigned = client.post("/api/v1/intake/exercises", content=b"{}")
    assert unsigned.status_code == 400


def test_operator_links_an_assignment(moodle_site: FakeMoodle, client: TestClient,
                                      db_factory: sessionmaker) -> None:
    url = f"/api/v1/sites/{moodle_site.site}/assignments/1/exercise"
    bad = client.put(url, json={"course_id": 2, "instance_id": 1,
                                "files": {"exercise.yaml": "language: python\n"}})
    assert bad.status_code == 422 and bad.json()["detail"]["valid"] is False
    good = client.put(url, json={"course_id": 2, "instance_id": 1,
                                 "files": {"exercise.yaml": HELLO_EXERCISE}})
    assert good.status_code == 200 and good.json()["exercise_version"] == 1
    assert client.put(url, json={"course_id": 2, "instance_id": 1},
                      headers={"X-API-Key": "wrong"}).status_code == 401
    # Unlinked (the activity was deleted in Moodle): a later submission has no exercise.
    assert client.delete(url, headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url).status_code == 404
    sub = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    item = uuid.UUID(moodle_site.send_notification(client, sub).json()["id"])
    assert service.fetch_item(item, factory=db_factory) is IntakeStatus.NO_EXERCISE


def _linked(session: Session, fake: FakeMoodle) -> None:
    links.link_exercise_yaml(session, site=fake.site, activity="assign", cmid=1, course_id=2,
                               instance_id=1, exercise_yaml=HELLO_EXERCISE)
    session.commit()


def _notify(client: TestClient, fake: FakeMoodle, submission) -> uuid.UUID:
    response = fake.send_notification(client, submission)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


def test_fetch_takes_files_and_online_text(moodle_site: FakeMoodle, client: TestClient,
                                           session: Session, db_factory: sessionmaker) -> None:
    _linked(session, moodle_site)
    sub = moodle_site.add_submission(1, 5, {"my hello.py": GOOD_HELLO}, "<p>see the file</p>")
    item_id = _notify(client, moodle_site, sub)
    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED
    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED  # idempotent
    item = client.get(f"/api/v1/items/{item_id}").json()
    assert item["status"] == "queued" and item["submission_id"]
    from bridge.submissions.repository import SubmissionRepository
    stored = SubmissionRepository(session).get_with_files(uuid.UUID(item["submission_id"]))
    files = {f.path: f.content for f in stored.files}
    assert files == {"hello.py": GOOD_HELLO, "onlinetext.txt": b"see the file\n"}


def test_online_text_alone_is_the_program(moodle_site: FakeMoodle, client: TestClient,
                                          session: Session, db_factory: sessionmaker) -> None:
    _linked(session, moodle_site)
    sub = moodle_site.add_submission(1, 6, {}, "<p>print(f&#39;Hello, {input()}!&#39;)</p>")
    item_id = _notify(client, moodle_site, sub)
    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED


@pytest.mark.parametrize(("setup", "expected"), [
    ("unlinked", IntakeStatus.NO_EXERCISE),
    ("newer_attempt", IntakeStatus.SUPERSEDED),
    ("no_files", IntakeStatus.REJECTED),
    ("too_large", IntakeStatus.FAILED),
    ("wrong_token", IntakeStatus.FAILED),
])
def test_fetch_outcomes(setup: str, expected: IntakeStatus, moodle_site: FakeMoodle,
                        client: TestClient, session: Session, db_factory: sessionmaker,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    if setup != "unlinked":
        _linked(session, moodle_site)
    files = {"hello.py": GOOD_HELLO}
    if setup == "no_files":
        files = {}
    if setup == "too_large":
        files = {"hello.py": b"#" * (get_settings().max_submission_bytes + 1)}
    sub = moodle_site.add_submission(1, 5, files)
    item_id = _notify(client, moodle_site, sub)
    if setup == "newer_attempt":
        moodle_site.add_submission(1, 5, files, new_attempt=True)
    if setup == "wrong_token":
        moodle_site.token = "test-only-rotated-token"
    assert service.fetch_item(item_id, factory=db_factory) is expected
    assert client.get(f"/api/v1/items/{item_id}").json()["status"] == expected.value


def test_fetch_while_moodle_is_down_is_retried(moodle_site: FakeMoodle, client: TestClient,
                                               session: Session, db_factory: sessionmaker) -> None:
    from bridge.moodle import MoodleUnavailable

    _linked(session, moodle_site)
    item_id = _notify(client, moodle_site, moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO}))
    moodle_site.stop()
    with pytest.raises(MoodleUnavailable):
        service.fetch_item(item_id, factory=db_factory)
    moodle_site.start()
    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED


def test_reconciliation_takes_in_what_was_never_notified(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    _linked(session, moodle_site)
    notified = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    _notify(client, moodle_site, notified)
    missed = moodle_site.add_submission(1, 6, {"hello.py": GOOD_HELLO})  # the plugin was down
    taken = reconcile.reconcile(factory=db_factory)
    assert len(taken) == 1
    item = session.get(IntakeItem, taken[0])
    assert (item.item_id, item.user_id, item.source) == (missed.id, 6, "reconcile")
    assert reconcile.reconcile(factory=db_factory) == []  # nothing new since the last sweep
    assert service.fetch_item(taken[0], factory=db_factory) is IntakeStatus.FETCHED


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_deeply_nested_signed_body_is_refused_clearly(content_type: str, moodle_site: FakeMoodle,
                                                      client: TestClient, session: Session) -> None:
    """Whatever the declared type, a signed body is measured before it is parsed."""
    body = b"[" * 8000 + b"]" * 8000
    for path in ("/api/v1/intake/notifications", "/api/v1/intake/exercises"):
        response = client.post(path, content=body,
                               headers=moodle_site.sign(body) | {"Content-Type": content_type})
        assert response.status_code == 400, response.text
        assert "nested deeper than 32 levels" in response.json()["detail"]
    assert _count(session) == 0
