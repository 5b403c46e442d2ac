"""Grade history: written with each state change, read by operators, never rewritten."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bridge.delivery import service as delivery
from bridge.delivery.models import Delivery, DeliveryState
from bridge.grading.service import Outcome, grade_submission
from bridge.history import service as history
from bridge.history.models import GradeHistory
from bridge.intake import service as intake
from bridge.intake.models import IntakeItem, IntakeStatus
from grader.sandbox.docker import DockerSandbox
from tests.bridge.delivery.test_outbox import graded
from tests.fakes.fixtures import CONSTANT_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle


def _events(client: TestClient, item_id: uuid.UUID) -> list[tuple[str, int, float | None]]:
    answer = client.get(f"/api/v1/items/{item_id}/history")
    assert answer.status_code == 200, answer.text
    return [(e["event"], e["exercise_version"], e["score"]) for e in answer.json()]


def _deliver_pending(session: Session, factory: sessionmaker[Session]) -> list[DeliveryState]:
    session.expire_all()
    return [delivery.deliver(d.id, factory=factory).state for d in session.scalars(
        sa.select(Delivery).where(Delivery.state == DeliveryState.PENDING))]


def test_every_score_push_override_and_regrade_is_kept(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], sandbox: DockerSandbox) -> None:
    site = moodle_site.site
    assert client.put(f"/api/v1/sites/{site}/assignments/1/exercise", json={
        "course_id": 2, "instance_id": 1, "files": {"exercise.yaml": HELLO_EXERCISE}}
    ).status_code == 200
    items = {}
    for user in (5, 6):
        sub = moodle_site.add_submission(1, user, {"hello.py": CONSTANT_HELLO})
        items[user] = uuid.UUID(moodle_site.send_notification(client, sub).json()["id"])
        assert intake.fetch_item(items[user], factory=db_factory) is IntakeStatus.FETCHED
        session.expire_all()
        submission_id = session.get(IntakeItem, items[user]).submission_id
        assert grade_submission(submission_id, sandbox, factory=db_factory) is Outcome.GRADED
    assert _deliver_pending(session, db_factory) == [DeliveryState.DELIVERED] * 2
    moodle_site.teacher_sets_grade(1, 6, 80)  # the teacher's hand grade for student 6

    fixed = HELLO_EXERCISE.replace('"Hello, Ada!\\n"', '"Hello, Ada.\\n"')
    client.put(f"/api/v1/sites/{site}/assignments/1/exercise", json={
        "course_id": 2, "instance_id": 1, "files": {"exercise.yaml": fixed}})
    regrade = client.post(f"/api/v1/sites/{site}/assignments/1/regrade").json()
    for entry in regrade["entries"]:
        assert grade_submission(uuid.UUID(entry["new_submission_id"]), sandbox,
                                factory=db_factory) is Outcome.GRADED
    assert sorted(_deliver_pending(session, db_factory)) == [
        DeliveryState.DELIVERED, DeliveryState.TEACHER_OVERRIDE]
    assert moodle_site.grade_of(1, 6) == 80  # never written over

    assert _events(client, items[5]) == [
        ("graded", 1, 1.0), ("pushed", 1, 1.0), ("regrade_started", 2, None),
        ("graded", 2, 1.0), ("pushed", 2, 1.0)]
    history = client.get(f"/api/v1/items/{items[6]}/history").json()
    assert [e["event"] for e in history] == [
        "graded", "pushed", "regrade_started", "graded", "teacher_override"]
    graded, pushed, started, _, kept = history
    assert graded["actor"].startswith("job:grading ") and graded["image_digest"].startswith(
        "sha256:")
    assert (pushed["grade"], pushed["actor"]) == (50.0, "job:delivery")
    assert started["actor"] == "operator (API key)" and started["regrade_id"] == regrade["id"]
    assert (started["detail"]["old_score"], started["detail"]["old_max_score"]) == (1.0, 2.0)
    assert started["detail"]["old_submission_id"] == graded["submission_id"]
    assert "Moodle holds 80" in kept["detail"]["moodle"] and kept["grade"] == 50.0
    by_user = client.get(f"/api/v1/sites/{site}/users/6/history").json()
    assert [e["id"] for e in by_user] == [e["id"] for e in history]
    by_submission = client.get(f"/api/v1/submissions/{graded['submission_id']}/history").json()
    assert [e["event"] for e in by_submission] == ["graded", "pushed"]


def test_history_is_read_with_the_api_key_only(client: TestClient) -> None:
    missing = uuid.uuid4()
    assert client.get(f"/api/v1/items/{missing}/history").status_code == 404
    assert client.get(f"/api/v1/submissions/{missing}/history").status_code == 404
    del client.headers["X-API-Key"]
    assert client.get(f"/api/v1/items/{missing}/history").status_code == 401
    assert client.get("/api/v1/sites/x/users/6/history").status_code == 401


@pytest.mark.parametrize("statement", [
    "UPDATE grade_history SET score = 0",
    "UPDATE grade_history SET actor = 'someone else' WHERE event = 'graded'",
    "DELETE FROM grade_history",
])
def test_the_database_refuses_to_rewrite_history(statement: str, moodle_site: FakeMoodle,
                                                 session: Session) -> None:
    first = graded(session, moodle_site, 1)
    history.record_graded(session, submission_id=first.submission_id, actor="job:grading test")
    session.flush()
    before = session.scalars(sa.select(GradeHistory)).all()
    assert len(before) == 1
    with pytest.raises(sa.exc.DBAPIError, match="grade_history is append-only"), \
            session.begin_nested():
        session.execute(sa.text(statement))
    session.expire_all()
    after = session.scalars(sa.select(GradeHistory)).all()
    assert [(r.score, r.actor) for r in after] == [(1.0, "job:grading test")]
    assert [r.id for r in after] == [r.id for r in before]


def test_the_repository_has_no_way_to_change_a_row() -> None:
    from bridge.history.repository import HistoryRepository

    own = {name for name in vars(HistoryRepository) if not name.startswith("_")}
    assert own == {"model", "append", "for_item", "for_submission", "for_user"}
