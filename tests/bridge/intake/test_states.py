"""The grading state a Moodle site asks for (POST /api/v1/intake/states and /failures).

Signed like every call of the plugin; a replay, a bad signature or another site's secret is
refused; an answer holds only the asked-for users of the signing site.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bridge.config import MoodleSite, get_settings
from bridge.delivery import service as delivery
from bridge.delivery.models import Delivery, DeliveryState
from bridge.grading.service import Outcome, grade_submission, mark_failed
from bridge.intake import service as intake
from bridge.intake.models import IntakeItem, IntakeStatus
from bridge.submissions.models import Submission, SubmissionStatus
from grader.sandbox.docker import DockerSandbox
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle

STATES = "/api/v1/intake/states"
FAILURES = "/api/v1/intake/failures"


def _signed(fake: FakeMoodle, body: dict[str, Any], **sign: Any) -> dict[str, Any]:
    raw = json.dumps({"schema": 1, "site": fake.site, "nonce": uuid.uuid4().hex} | body).encode()
    return {"content": raw, "headers": fake.sign(raw, **sign)}


def ask(client: TestClient, fake: FakeMoodle, *users: int, cmid: int = 1,
        **sign: Any) -> httpx.Response:
    """The states of `users`' latest submissions of assignment `cmid`, signed by `fake`."""
    items = [{"kind": "assign_submission", "cmid": cmid, "user_id": u} for u in users]
    return client.post(STATES, **_signed(fake, {"items": items}, **sign))


def state(client: TestClient, fake: FakeMoodle, user: int) -> dict[str, Any]:
    response = ask(client, fake, user)
    assert response.status_code == 200, response.text
    [answer] = response.json()["states"]
    assert answer["user_id"] == user
    return answer  # type: ignore[no-any-return]


@pytest.fixture
def linked(client: TestClient, moodle_site: FakeMoodle) -> FakeMoodle:
    response = client.put(f"/api/v1/sites/{moodle_site.site}/assignments/1/exercise", json={
        "course_id": 2, "instance_id": 1, "files": {"exercise.yaml": HELLO_EXERCISE}})
    assert response.status_code == 200, response.text
    return moodle_site


def _notify(client: TestClient, fake: FakeMoodle, user: int) -> uuid.UUID:
    submission = fake.add_submission(1, user, {"hello.py": GOOD_HELLO})
    response = fake.send_notification(client, submission)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


def test_a_submission_goes_from_unknown_to_graded_and_in_the_gradebook(
        client: TestClient, linked: FakeMoodle, session: Session, db_factory: sessionmaker,
        sandbox: DockerSandbox) -> None:
    assert state(client, linked, 5) | {"updated_at": None} == {
        "kind": "assign_submission", "cmid": 1, "user_id": 5, "attempt_number": None,
        "state": "unknown", "final": False, "reason": None, "score": None, "max_score": None,
        "grade": None, "in_gradebook": False, "detail": None, "failure_id": None,
        "updated_at": None}
    item_id = _notify(client, linked, 5)
    assert (state(client, linked, 5)["state"], state(client, linked, 5)["attempt_number"]) == (
        "queued", 0)
    assert intake.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED
    assert state(client, linked, 5)["state"] == "queued"

    submission_id = session.get(IntakeItem, item_id).submission_id
    session.get(Submission, submission_id).status = SubmissionStatus.RUNNING
    session.commit()
    assert state(client, linked, 5) | {"updated_at": None} == state(client, linked, 5) | {
        "state": "running", "final": False, "score": None, "updated_at": None}
    session.get(Submission, submission_id).status = SubmissionStatus.QUEUED
    session.commit()

    assert grade_submission(submission_id, sandbox, factory=db_factory) is Outcome.GRADED
    graded = state(client, linked, 5)
    assert (graded["state"], graded["score"], graded["max_score"]) == ("graded", 2.0, 2.0)
    assert (graded["in_gradebook"], graded["final"], graded["grade"]) == (False, False, None)

    found = session.scalars(select(Delivery).where(Delivery.submission_id == submission_id)).one()
    assert delivery.deliver(found.id, factory=db_factory).state is DeliveryState.DELIVERED
    done = state(client, linked, 5)
    assert (done["state"], done["in_gradebook"], done["final"], done["grade"]) == (
        "graded", True, True, 100.0)


def test_refused_unless_signed_by_the_site_once(client: TestClient, linked: FakeMoodle) -> None:
    _notify(client, linked, 5)
    bad = ask(client, linked, 5, secret="not-the-sites-secret-at-all-0123456789")
    assert (bad.status_code, bad.json()["error"]) == (401, "bad_signature")
    assert "states" not in bad.json()
    stale = ask(client, linked, 5, timestamp=int(time.time()) - 3600)
    assert (stale.status_code, stale.json()["error"]) == (401, "stale")

    request = _signed(linked, {"items": [{"kind": "assign_submission", "cmid": 1,
                                          "user_id": 5}]})
    first = client.post(STATES, **request)
    assert first.status_code == 200 and first.json()["states"][0]["state"] == "queued"
    replayed = client.post(STATES, **request)
    assert (replayed.status_code, replayed.json()["error"]) == (409, "replayed")
    assert "states" not in replayed.json()

    unsigned = client.post(STATES, content=request["content"],
                           headers={"Content-Type": "application/json"})
    assert (unsigned.status_code, unsigned.json()["error"]) == (400, "missing_header")


def test_bounded_and_strict(client: TestClient, linked: FakeMoodle) -> None:
    too_many = ask(client, linked, *range(1, 102))
    assert (too_many.status_code, too_many.json()["error"]) == (422, "schema_invalid")
    assert "items" in too_many.json()["detail"]
    for items in ([], [{"kind": "assign_submission", "cmid": 1, "user_id": "5"}],
                  [{"kind": "assign_submission", "cmid": 1, "user_id": 5, "extra": 1}]):
        refused = client.post(STATES, **_signed(linked, {"items": items}))
        assert refused.status_code == 422, refused.text
    short_nonce = client.post(STATES, **_signed(linked, {"nonce": "abc", "items": [
        {"kind": "assign_submission", "cmid": 1, "user_id": 5}]}))
    assert short_nonce.status_code == 422


def test_only_the_asked_users_of_the_signing_site(
        client: TestClient, linked: FakeMoodle, monkeypatch: pytest.MonkeyPatch) -> None:
    _notify(client, linked, 5)
    _notify(client, linked, 6)
    answer = ask(client, linked, 5).json()["states"]
    assert [(s["user_id"], s["state"]) for s in answer] == [(5, "queued")]
    both = ask(client, linked, 6, 7).json()["states"]
    assert [(s["user_id"], s["state"]) for s in both] == [(6, "queued"), (7, "unknown")]

    # Another site, with its own secret, asking about the same cmid and user: nothing.
    other = FakeMoodle(site="other-site", secret="another-sites-secret-0123456789abcdef")
    monkeypatch.setitem(get_settings().moodle_sites, other.site, MoodleSite(
        url="http://127.0.0.1:9", token=SecretStr("unused"),
        webhook_secret=SecretStr(other.secret)))
    assert state(client, other, 5)["state"] == "unknown"
    # Its secret does not sign for the first site.
    forged = ask(client, linked, 5, secret=other.secret)
    assert (forged.status_code, forged.json()["error"]) == (401, "bad_signature")


def _fail(session: Session, item_id: uuid.UUID, status: IntakeStatus, error: str) -> None:
    item = session.get(IntakeItem, item_id)
    item.status, item.error = status, error
    session.commit()


def test_failures_are_named_and_listed_once_with_a_stable_id(
        client: TestClient, linked: FakeMoodle, session: Session,
        db_factory: sessionmaker) -> None:
    since = int(time.time()) - 1
    rejected = _notify(client, linked, 5)
    _fail(session, rejected, IntakeStatus.REJECTED, "hello.py is missing")
    grading = _notify(client, linked, 6)
    assert intake.fetch_item(grading, factory=db_factory) is IntakeStatus.FETCHED
    session.expire_all()
    mark_failed(session.get(IntakeItem, grading).submission_id,
                "sandbox failed after 3 tries", factory=db_factory)
    _notify(client, linked, 7)  # still queued: no failure

    five, six, seven = ask(client, linked, 5, 6, 7).json()["states"]
    assert (five["state"], five["reason"], five["final"]) == ("failed", "rejected", True)
    assert five["detail"] == "hello.py is missing" and five["score"] is None
    assert (six["state"], six["reason"]) == ("failed", "grading_failed")
    assert seven["state"] == "queued" and seven["failure_id"] is None

    listed = client.post(FAILURES, **_signed(linked, {"since": since})).json()
    by_user = {f["user_id"]: f for f in listed["failures"]}
    assert set(by_user) == {5, 6} and listed["more"] is False
    assert by_user[5]["failure_id"] == five["failure_id"]
    assert by_user[6]["failure_id"] == six["failure_id"]
    assert (by_user[5]["reason"], by_user[5]["cmid"], by_user[5]["course_id"]) == (
        "rejected", 1, 2)
    assert listed["next_since"] >= since
    again = client.post(FAILURES, **_signed(linked, {"since": since})).json()
    assert [f["failure_id"] for f in again["failures"]] == [
        f["failure_id"] for f in listed["failures"]]
    later = client.post(FAILURES, **_signed(linked, {"since": listed["next_since"] + 1})).json()
    assert later["failures"] == []

    limited = client.post(FAILURES, **_signed(linked, {"since": since, "limit": 1})).json()
    assert len(limited["failures"]) == 1 and limited["more"] is True

    # A failure that is mended (the item fetched again and queued) is no longer listed.
    _fail(session, rejected, IntakeStatus.RECEIVED, "")
    mended = client.post(FAILURES, **_signed(linked, {"since": since})).json()
    assert {f["user_id"] for f in mended["failures"]} == {6}


def test_failures_refuse_a_bad_signature_and_a_replay(client: TestClient,
                                                      linked: FakeMoodle) -> None:
    bad = client.post(FAILURES, **_signed(linked, {"since": 0}, secret="x" * 40))
    assert (bad.status_code, bad.json()["error"]) == (401, "bad_signature")
    request = _signed(linked, {"since": 0})
    assert client.post(FAILURES, **request).status_code == 200
    assert client.post(FAILURES, **request).status_code == 409
    too_many = client.post(FAILURES, **_signed(linked, {"since": 0, "limit": 1000}))
    assert too_many.status_code == 422
