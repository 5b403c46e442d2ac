"""The full quiz loop: the stand-in acts as local_bridge (question uploads, attempt_submitted
notifications, both quiz functions), the bridge makes an item per linked question, a real
grader grades each response in a real container, and the marks land through
local_bridge_save_question_grade, the attempt and the quiz grade recomputed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bridge.delivery import service as delivery
from bridge.delivery.models import Delivery, DeliveryState
from bridge.grading.service import Outcome, grade_submission
from bridge.intake import service as intake
from bridge.intake.models import IntakeItem, IntakeStatus
from bridge.intake.reconcile import RECONCILE
from bridge.worker.app import app as worker_app
from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE
from grader.sandbox.docker import DockerSandbox
from tests.bridge.auth.served import free_port, scratch_database_url, serving
from tests.conftest import API_KEY, TEST_REDIS_URL, recreate_database
from tests.fakes.moodle import TEST_SECRET, TEST_TOKEN, FakeMoodle
from tests.fakes.moodle_quiz import (
    CONSTANT_SQUARES,
    GOOD_SQUARES,
    GOOD_TOTAL,
    QUESTION_EXERCISES,
    SQUARES_EXERCISE,
)
from tests.support import REPO, celery_worker, fresh_timestamp, grading_env, wait_until


def _link(client: TestClient, fake: FakeMoodle, entry: int, yaml: str) -> dict[str, Any]:
    body = fake.quiz_exercise_body(1, entry, yaml)
    answer = client.post("/api/v1/intake/exercises", content=body,
                         headers=fake.sign(body, fresh_timestamp()))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _take(client: TestClient, fake: FakeMoodle, attempt: Any, factory: sessionmaker[Session],
          session: Session) -> list[IntakeItem]:
    """Notify an attempt, fetch it, and return its question items."""
    answer = fake.send_quiz_notification(client, attempt, timestamp=fresh_timestamp())
    assert answer.status_code == 202, answer.text
    attempt_item = uuid.UUID(answer.json()["id"])
    assert intake.fetch_item(attempt_item, factory=factory) is IntakeStatus.FETCHED
    session.expire_all()
    return list(session.scalars(sa.select(IntakeItem).where(
        IntakeItem.attempt_item_id == attempt_item).order_by(IntakeItem.slot)))


def _grade_pending(sandbox: DockerSandbox, factory: sessionmaker[Session],
                   session: Session) -> dict[uuid.UUID, DeliveryState]:
    """Grade every queued submission, then try every open delivery once."""
    from bridge.submissions.models import Submission, SubmissionStatus

    session.expire_all()
    for submission_id in session.scalars(sa.select(Submission.id).where(
            Submission.status == SubmissionStatus.QUEUED)):
        assert grade_submission(submission_id, sandbox, factory=factory) is Outcome.GRADED
    session.expire_all()
    return {d.item_id: delivery.deliver(d.id, factory=factory).state
            for d in session.scalars(sa.select(Delivery).where(
                Delivery.state == DeliveryState.PENDING))}


def test_quiz_graded_end_to_end(moodle_site: FakeMoodle, client: TestClient, session: Session,
                                db_factory: sessionmaker, sandbox: DockerSandbox) -> None:
    fake, quiz = moodle_site, moodle_site.quiz_site
    fake.add_quiz(1)  # essays 101 and 102 (10 marks each), an unlinked true/false (1 mark)
    for entry, yaml in QUESTION_EXERCISES.items():
        assert _link(client, fake, entry, yaml)["message"] == "2 tests, 2 points, version 1"

    # Student 5 answers everything right; student 6 only the visible squares test.
    good = fake.add_quiz_attempt(1, 5, {1: GOOD_SQUARES, 2: GOOD_TOTAL, 3: "True"})
    partial = fake.add_quiz_attempt(1, 6, {1: CONSTANT_SQUARES, 2: GOOD_TOTAL, 3: "False"})
    items = {a.id: _take(client, fake, a, db_factory, session) for a in (good, partial)}
    assert all(len(found) == 2 for found in items.values())  # the true/false is left alone
    states = _grade_pending(sandbox, db_factory, session)
    assert set(states.values()) == {DeliveryState.DELIVERED} and len(states) == 4

    marks = {a.id: quiz.summary(a.id) for a in (good, partial)}
    assert [marks[good.id]["slots"][s]["mark"] for s in "123"] == [10.0, 10.0, 1.0]
    assert [marks[partial.id]["slots"][s]["mark"] for s in "123"] == [5.0, 10.0, 0.0]
    assert marks[good.id]["sumgrades"] == 21.0 and marks[partial.id]["sumgrades"] == 15.0
    assert marks[good.id]["grade"] == 100.0
    assert marks[partial.id]["grade"] == pytest.approx(15 / 21 * 100)
    comment = marks[partial.id]["slots"]["1"]["comment"]
    assert "Autograder: 1 / 2 points" in comment
    assert "<td>three squares</td><td>passed</td>" in comment
    assert "Hidden tests: 0 of 1 passed" in comment and "0 1 4 9 16" not in comment
    attempt_read = client.get(f"/api/v1/items/{items[partial.id][0].attempt_item_id}").json()
    assert attempt_read["status"] == "delivered"
    assert [(q["slot"], q["grade"], q["score"]) for q in attempt_read["questions"]] == [
        (1, 5.0, 1.0), (2, 10.0, 2.0)]

    # The plugin's task sends the notification again: acknowledged, nothing graded twice.
    saves = sum(f == "local_bridge_save_question_grade" for f, _ in fake.calls)
    again = fake.send_quiz_notification(client, partial, timestamp=fresh_timestamp())
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert _grade_pending(sandbox, db_factory, session) == {}
    assert sum(f == "local_bridge_save_question_grade" for f, _ in fake.calls) == saves

    # Student 6 tries again: the second attempt is graded on its own, the first keeps its marks.
    retry = fake.add_quiz_attempt(1, 6, {1: GOOD_SQUARES, 2: GOOD_TOTAL, 3: "True"})
    _take(client, fake, retry, db_factory, session)
    assert set(_grade_pending(sandbox, db_factory, session).values()) == {
        DeliveryState.DELIVERED}
    assert quiz.summary(retry.id)["sumgrades"] == 21.0
    assert quiz.summary(partial.id)["sumgrades"] == 15.0
    assert quiz.summary(retry.id)["grade"] == 100.0  # the quiz keeps the highest attempt

    # A teacher marks student 5's squares by hand; then the exercise gets a stricter hidden
    # test and the question is regraded, while Moodle adds a step to the retry's question
    # between the bridge's read and its save (a stale sequence check).
    fake.teacher_grades_question(good.id, 1, 7.0, "Seen by me")
    stricter = SQUARES_EXERCISE.replace('"0 1 4 9 16\\n"', '"0, 1, 4, 9, 16\\n"')
    assert _link(client, fake, 101, stricter)["version"] == 2
    regrade = client.post(f"/api/v1/sites/{fake.site}/quizzes/2/questions/101/regrade")
    assert regrade.status_code == 202 and regrade.json()["pending"] == 3
    quiz.after_read.append(lambda: quiz.engine_step(retry.id, 1))
    states = _grade_pending(sandbox, db_factory, session)
    assert sorted(states.values()) == sorted([
        DeliveryState.TEACHER_OVERRIDE, DeliveryState.DELIVERED, DeliveryState.DELIVERED])
    report = client.get(f"/api/v1/regrades/{regrade.json()['id']}").json()
    assert report["question_bank_entry_id"] == 101 and report["changed"] == 2
    assert sorted((e["user_id"], e["attempt_number"], e["slot"], e["old_score"],
                   e["new_score"], e["changed"], e["delivery"], e["grade"])
                  for e in report["entries"]) == [
        (5, 1, 1, 2.0, 1.0, True, "teacher_override", 5.0),
        (6, 1, 1, 1.0, 1.0, False, "delivered", 5.0),
        (6, 2, 1, 2.0, 1.0, True, "delivered", 5.0)]
    kept = quiz.summary(good.id)["slots"]["1"]
    assert (kept["mark"], kept["comment"]) == (7.0, "Seen by me")
    assert quiz.summary(retry.id)["slots"]["1"]["mark"] == 5.0
    assert quiz.summary(partial.id)["slots"]["1"]["mark"] == 5.0


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A committed database of its own: worker processes cannot see a rolled-back one."""
    url = scratch_database_url(f"quiz_{uuid.uuid4().hex[:8]}")
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


@pytest.fixture
def standin_server() -> Iterator[str]:
    """`python -m tests.fakes.server`, the stand-in as the harness and browser tests run it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.server", "--port", str(port)],
                               cwd=REPO, env=os.environ | {"STANDIN_PUBLIC_URL": url},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError("the stand-in exited: " + process.stderr.read().decode()[-2000:]
                                 if process.stderr else "")
        try:
            return httpx.get(f"{url}/_standin/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, timeout=30, what="the stand-in to answer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.timeout(300)
def test_real_workers_grade_a_quiz(scratch_database: str, standin_server: str, redis_client,
                                   tmp_path: Path) -> None:
    """The standalone stand-in, a real `bridge serve`, a grading and a Moodle worker."""
    site = "moodle-test-site"
    sites = json.dumps({site: {"url": standin_server, "token": TEST_TOKEN,
                               "webhook_secret": TEST_SECRET}})
    core = {"ENVIRONMENT": "test", "DATABASE_URL": scratch_database, "BROKER_URL": TEST_REDIS_URL}
    moodle_env = os.environ | core | {"BRIDGE_API_KEY": API_KEY, "MOODLE_SITES": sites}
    logs = {name: tmp_path / f"{name}.log" for name in (GRADING_QUEUE, MOODLE_QUEUE)}
    standin = httpx.Client(base_url=f"{standin_server}/_standin", timeout=30)
    with celery_worker(GRADING_QUEUE, grading_env(**core), logs[GRADING_QUEUE]), \
            celery_worker(MOODLE_QUEUE, moodle_env, logs[MOODLE_QUEUE], pool="solo"), \
            serving(scratch_database, MOODLE_SITES=sites, BRIDGE_API_KEY=API_KEY) as bridge:
        made = standin.post("/quizzes", json={"id": 1}).json()
        assert made == {"id": 1, "cmid": 2, "slots": [101, 102, 103]}
        for entry, yaml in QUESTION_EXERCISES.items():
            sent = standin.post("/quizzes/exercise", json={
                "quiz_id": 1, "bank_entry_id": entry, "exercise_yaml": yaml,
                "bridge_url": bridge}).json()
            assert sent["status"] == 200 and json.loads(sent["body"])["valid"] is True
        attempt = standin.post("/quizzes/attempts", json={
            "quiz_id": 1, "user_id": 7,
            "answers": {"1": CONSTANT_SQUARES, "2": GOOD_TOTAL, "3": "True"}}).json()
        queued = standin.post("/quizzes/notify", json={
            "attempt_id": attempt["id"], "bridge_url": bridge, "retry": True,
            "duplicate": True})
        assert queued.status_code == 202

        def marked(attempt_id: int) -> dict[str, Any] | None:
            read = standin.get(f"/quizzes/attempts/{attempt_id}").json()
            done = all(read["slots"][s]["graded_by"] == FakeMoodle.BRIDGE_USER for s in "12")
            return read if done else None

        def worker_logs() -> str:
            return "both marks\n" + "\n".join(log.read_text()[-2000:] for log in logs.values())

        read = wait_until(lambda: marked(attempt["id"]), timeout=240, interval=0.5,
                          what=worker_logs)
        assert [read["slots"][s]["mark"] for s in "123"] == [5.0, 10.0, 1.0]
        assert read["sumgrades"] == 16.0 and read["grade"] == pytest.approx(16 / 21 * 100)
        assert "Autograder: 2 / 2 points" in read["slots"]["2"]["comment"]
        notified = wait_until(lambda: [n for n in standin.get("/notifications").json()
                                       if "duplicate_status" in n], timeout=30,
                              what="the duplicate notification")
        assert notified[0]["attempt_id"] == attempt["id"]
        assert notified[0]["duplicate_status"] == 200
        api = httpx.Client(base_url=bridge, headers={"X-API-Key": API_KEY}, timeout=10)
        listed = wait_until(lambda: [i for i in api.get(f"/api/v1/sites/{site}/items", params={
            "attempt_id": attempt["id"], "kind": "quiz_attempt"}).json()
            if i["status"] == "delivered"], timeout=10, what="the attempt to be delivered")
        assert [q["grade"] for q in listed[0]["questions"]] == [5.0, 10.0]

        # An attempt whose notification never arrives (the plugin's outbox row lost): the
        # reconciliation the beat sends every 5 minutes, sent now, finds it and it is graded.
        lost = standin.post("/quizzes/attempts", json={
            "quiz_id": 1, "user_id": 8, "answers": {"1": GOOD_SQUARES, "2": GOOD_TOTAL}}).json()
        worker_app.send_task(RECONCILE)  # routed to the Moodle queue
        found = wait_until(lambda: marked(lost["id"]), timeout=120, interval=0.5,
                           what=worker_logs)
        assert [found["slots"][s]["mark"] for s in "12"] == [10.0, 10.0]
        swept = api.get(f"/api/v1/sites/{site}/items", params={
            "attempt_id": lost["id"], "kind": "quiz_attempt"}).json()
        assert len(swept) == 1 and swept[0]["user_id"] == 8
    calls = standin.get("/calls").json()
    assert calls["local_bridge_save_question_grade"] == 4
    assert calls["local_bridge_get_finished_attempts"] == 1
    ran = {queue: log.read_text() for queue, log in logs.items()}
    assert "bridge.grading.grade_submission[" in ran[GRADING_QUEUE]
    assert "bridge.intake.fetch_item[" in ran[MOODLE_QUEUE]
    assert "bridge.intake.reconcile[" in ran[MOODLE_QUEUE]
    assert TEST_TOKEN not in "".join(ran.values())
