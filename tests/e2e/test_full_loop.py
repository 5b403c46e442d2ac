"""The full loop: the stand-in notifies as local_bridge would, the bridge takes it in, a real
grader grades it in a real container, and the stand-in receives mod_assign_save_grade."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bridge.delivery import service as delivery
from bridge.delivery.models import Delivery, DeliveryState
from bridge.grading.service import Outcome, grade_submission
from bridge.intake import service as intake
from bridge.intake.models import IntakeStatus
from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE
from grader.sandbox.docker import DockerSandbox
from tests.conftest import API_KEY, TEST_DATABASE_URL, TEST_REDIS_URL, recreate_database
from tests.fakes.fixtures import CONSTANT_HELLO, GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle
from tests.support import celery_worker, grading_env, wait_until


def _grade_and_deliver(item_id: uuid.UUID, sandbox: DockerSandbox,
                       factory: sessionmaker[Session], session: Session) -> Delivery:
    assert intake.fetch_item(item_id, factory=factory) is IntakeStatus.FETCHED
    session.expire_all()
    from bridge.intake.models import IntakeItem

    submission_id = session.get(IntakeItem, item_id).submission_id
    assert grade_submission(submission_id, sandbox, factory=factory) is Outcome.GRADED
    found = session.scalars(sa.select(Delivery).where(Delivery.submission_id == submission_id)).one()
    assert delivery.deliver(found.id, factory=factory).state is DeliveryState.DELIVERED
    return found


def test_submission_graded_end_to_end(moodle_site: FakeMoodle, client: TestClient,
                                      session: Session, db_factory: sessionmaker,
                                      sandbox: DockerSandbox) -> None:
    site = moodle_site.site
    linked = client.put(f"/api/v1/sites/{site}/assignments/1/exercise", json={
        "course_id": 2, "instance_id": 1, "files": {"exercise.yaml": HELLO_EXERCISE}})
    assert linked.status_code == 200, linked.text

    # Student 5 gets everything right, student 6 only the visible test.
    items = {}
    for user, program in ((5, GOOD_HELLO), (6, CONSTANT_HELLO)):
        submission = moodle_site.add_submission(1, user, {"hello.py": program})
        response = moodle_site.send_notification(client, submission)
        assert response.status_code == 202, response.text
        items[user] = uuid.UUID(response.json()["id"])
        _grade_and_deliver(items[user], sandbox, db_factory, session)

    saved = {int(s["userid"]): s for s in moodle_site.saved_grades}
    assert saved[5]["grade"] == "100" and saved[6]["grade"] == "50"
    feedback = saved[6]["plugindata"]["assignfeedbackcomments_editor"]["text"]
    assert "<td>greets the world</td><td>passed</td>" in feedback
    assert "Hidden tests: 0 of 1 passed" in feedback and "Ada" not in feedback
    status = client.get(f"/api/v1/items/{items[6]}").json()
    assert (status["status"], status["score"], status["grade"]) == ("delivered", 1.0, 50.0)

    # Student 6 tries again: the new attempt is graded and replaces the automatic grade.
    retry = moodle_site.add_submission(1, 6, {"hello.py": GOOD_HELLO}, new_attempt=True)
    response = moodle_site.send_notification(client, retry)
    _grade_and_deliver(uuid.UUID(response.json()["id"]), sandbox, db_factory, session)
    assert moodle_site.saved_grades[-1]["attemptnumber"] == "1"
    assert moodle_site.grade_of(1, 6) == 100

    # The teacher fixes the exercise (Ada is now greeted with a full stop) and regrades.
    fixed = HELLO_EXERCISE.replace('"Hello, Ada!\\n"', '"Hello, Ada.\\n"')
    assert client.put(f"/api/v1/sites/{site}/assignments/1/exercise", json={
        "course_id": 2, "instance_id": 1, "files": {"exercise.yaml": fixed}}
    ).json()["exercise_version"] == 2
    regrade = client.post(f"/api/v1/sites/{site}/assignments/1/regrade")
    assert regrade.status_code == 202 and regrade.json()["pending"] == 2
    for entry in regrade.json()["entries"]:
        new_id = uuid.UUID(entry["new_submission_id"])
        assert grade_submission(new_id, sandbox, factory=db_factory) is Outcome.GRADED
    report = client.get(f"/api/v1/regrades/{regrade.json()['id']}").json()
    changes = {e["user_id"]: (e["old_score"], e["new_score"], e["changed"])
               for e in report["entries"]}
    assert changes == {5: (2.0, 1.0, True), 6: (2.0, 1.0, True)}
    assert report["exercise_version"] == 2 and report["changed"] == 2
    for pending in session.scalars(sa.select(Delivery).where(
            Delivery.state == DeliveryState.PENDING)):
        assert delivery.deliver(pending.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert moodle_site.grade_of(1, 5) == 50 and moodle_site.grade_of(1, 6) == 50


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A committed database of its own: a worker process cannot see a rolled-back one."""
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/bridge_e2e_{uuid.uuid4().hex[:8]}"
    recreate_database(url)
    from bridge.migrate import upgrade

    upgrade(url)
    yield url
    admin = sa.create_engine(sa.engine.make_url(url).set(database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(
            f'DROP DATABASE IF EXISTS "{sa.engine.make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.timeout(240)
def test_real_workers_grade_and_deliver(moodle_site: FakeMoodle, scratch_database: str,
                                        redis_client, tmp_path: Path) -> None:
    """A grading worker with no secret and a Moodle worker with the site's: the whole loop."""
    from bridge.app import create_app
    from bridge.db import make_engine, session_scope
    from bridge.deps import get_session

    engine = make_engine(scratch_database)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def scratch_session() -> Iterator[Session]:
        with session_scope(factory) as session:
            yield session

    core = {"ENVIRONMENT": "test", "DATABASE_URL": scratch_database, "BROKER_URL": TEST_REDIS_URL}
    moodle_env = os.environ | core | {
        "BRIDGE_API_KEY": API_KEY,
        "MOODLE_SITES": json.dumps({moodle_site.site: {
            "url": moodle_site.url, "token": moodle_site.token,
            "webhook_secret": moodle_site.secret}}),
    }
    logs = {name: tmp_path / f"{name}.log" for name in (GRADING_QUEUE, MOODLE_QUEUE)}
    try:
        with celery_worker(GRADING_QUEUE, grading_env(**core), logs[GRADING_QUEUE]), \
                celery_worker(MOODLE_QUEUE, moodle_env, logs[MOODLE_QUEUE], pool="solo"):
            app = create_app()
            app.dependency_overrides[get_session] = scratch_session
            with TestClient(app) as bridge:
                bridge.headers["X-API-Key"] = API_KEY
                assert bridge.put(f"/api/v1/sites/{moodle_site.site}/assignments/1/exercise",
                                  json={"course_id": 2, "instance_id": 1,
                                        "files": {"exercise.yaml": HELLO_EXERCISE}},
                                  ).status_code == 200
                submission = moodle_site.add_submission(1, 7, {"hello.py": GOOD_HELLO})
                response = moodle_site.send_notification(bridge, submission)
                assert response.status_code == 202, response.text
                item_url = f"/api/v1/items/{response.json()['id']}"
                wait_until(lambda: moodle_site.saved_grades, timeout=180, interval=0.5,
                           what=lambda: "a grade in Moodle\n" + "\n".join(
                               log.read_text()[-2000:] for log in logs.values()))
                sent = moodle_site.saved_grades[0]
                assert (sent["userid"], sent["grade"], sent["attemptnumber"]) == ("7", "100", "0")
                assert "2 / 2 points" in sent["plugindata"]["assignfeedbackcomments_editor"]["text"]
                wait_until(lambda: bridge.get(item_url).json()["status"] == "delivered",
                           timeout=5, what="the item to be delivered")
    finally:
        engine.dispose()
    output = "".join(log.read_text() for log in logs.values())
    assert moodle_site.token not in output and moodle_site.secret not in output
    # Each queue was served by its own worker: grading never ran where Moodle's secrets are.
    ran = {queue: log.read_text() for queue, log in logs.items()}
    assert "bridge.grading.grade_submission[" in ran[GRADING_QUEUE]
    assert "bridge.grading.grade_submission[" not in ran[MOODLE_QUEUE]
    assert "bridge.intake.fetch_item[" in ran[MOODLE_QUEUE]
    assert "bridge.intake.fetch_item[" not in ran[GRADING_QUEUE]
