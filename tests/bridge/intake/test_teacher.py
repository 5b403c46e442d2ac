"""What teachers do from Moodle, signed as local_bridge signs: regrade, history, results, ping."""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bridge.delivery import service as delivery
from bridge.delivery.models import Delivery, DeliveryState
from bridge.grading.service import Outcome, grade_submission
from bridge.intake import service as intake
from bridge.intake.models import IntakeItem, IntakeStatus
from grader.sandbox.docker import DockerSandbox
from tests.bridge.delivery import test_quiz_delivery as quiz_delivery
from tests.fakes.fixtures import CONSTANT_HELLO, GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle

quiz = quiz_delivery.quiz  # the fixture: quiz 1 (cmid 2), essays 101 and 102 linked
taken, graded_question = quiz_delivery.taken, quiz_delivery.graded
FIXED = HELLO_EXERCISE.replace('"Hello, Ada!\\n"', '"Hello, Ada.\\n"')


def ask(client: TestClient, fake: FakeMoodle, path: str, secret: str | None = None,
        **fields: Any) -> httpx.Response:
    """POST a signed question as local_bridge\\bridge_client does (a fresh nonce each time)."""
    body = json.dumps({"schema": 1, "site": fake.site, "nonce": secrets.token_hex(16),
                       **fields}).encode()
    return client.post(f"/api/v1/intake/{path}", content=body,
                       headers=fake.sign(body, secret=secret))


def _link(client: TestClient, fake: FakeMoodle, exercise: str) -> None:
    body = json.dumps({"schema": 1, "site": fake.site, "course_id": 2, "cmid": 1,
                       "kind": "assign", "instance_id": 1, "exercise_yaml": exercise}).encode()
    answer = client.post("/api/v1/intake/exercises", content=body, headers=fake.sign(body))
    assert answer.status_code == 200 and answer.json()["valid"], answer.text


def _grade_all(session: Session, factory: sessionmaker[Session], sandbox: DockerSandbox,
               submission_ids: list[uuid.UUID]) -> None:
    for submission_id in submission_ids:
        assert grade_submission(submission_id, sandbox, factory=factory) is Outcome.GRADED
    session.expire_all()
    for pending in session.scalars(sa.select(Delivery).where(
            Delivery.state == DeliveryState.PENDING)):
        delivery.deliver(pending.id, factory=factory)


def _graded_class(fake: FakeMoodle, client: TestClient, session: Session,
                  factory: sessionmaker[Session], sandbox: DockerSandbox) -> dict[int, uuid.UUID]:
    """Students 5 (right), 6 and 7 (visible test only) graded and pushed with version 1."""
    _link(client, fake, HELLO_EXERCISE)
    items = {}
    for user, program in ((5, GOOD_HELLO), (6, CONSTANT_HELLO), (7, CONSTANT_HELLO)):
        sub = fake.add_submission(1, user, {"hello.py": program})
        items[user] = uuid.UUID(fake.send_notification(client, sub).json()["id"])
        assert intake.fetch_item(items[user], factory=factory) is IntakeStatus.FETCHED
    session.expire_all()
    _grade_all(session, factory, sandbox,
               [session.get(IntakeItem, i).submission_id for i in items.values()])
    return items


def test_a_teacher_regrades_from_moodle_and_sees_old_and_new(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], sandbox: DockerSandbox) -> None:
    _graded_class(moodle_site, client, session, db_factory, sandbox)
    moodle_site.teacher_sets_grade(1, 7, 90)  # by hand: must survive the regrade
    _link(client, moodle_site, FIXED)  # the teacher saves version 2

    started = ask(client, moodle_site, "regrades", kind="assign", cmid=1, requested_by=2)
    assert started.status_code == 202, started.text
    report = started.json()
    assert (report["total"], report["pending"], report["done"]) == (3, 3, False)
    assert report["requested_by"] == f"moodle:{moodle_site.site} user 2"
    assert report["exercise_version"] == 2

    _grade_all(session, db_factory, sandbox,
               [uuid.UUID(e["new_submission_id"]) for e in report["entries"]])
    final = ask(client, moodle_site, "regrades/read", kind="assign", cmid=1).json()
    assert final["id"] == report["id"] and final["done"] is True
    diff = {e["user_id"]: (e["old_score"], e["new_score"], e["changed"], e["moodle"])
            for e in final["entries"]}
    assert diff == {5: (2.0, 1.0, True, "delivered"), 6: (1.0, 1.0, False, "delivered"),
                    7: (1.0, 1.0, False, "teacher_override")}
    assert (final["changed"], final["kept_teacher_grade"]) == (1, 1)
    assert moodle_site.grade_of(1, 7) == 90 and moodle_site.grade_of(1, 5) == 50

    # By id too; another activity's id is not found, nor is an activity never regraded.
    assert ask(client, moodle_site, "regrades/read", kind="assign", cmid=1,
               regrade_id=report["id"]).json()["done"] is True
    assert ask(client, moodle_site, "regrades/read", kind="assign", cmid=9,
               regrade_id=report["id"]).status_code == 404
    assert ask(client, moodle_site, "regrades/read", kind="quiz", cmid=1).status_code == 404


def test_a_regrade_that_only_changes_the_points_is_a_change(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], sandbox: DockerSandbox) -> None:
    # Found on a real Moodle 5.0 site: 4 / 5 -> 4 / 7 moved the gradebook from 80 to 57.14 but
    # was not listed, and the old score was shown over the new maximum (5 / 7 for 5 / 5).
    _graded_class(moodle_site, client, session, db_factory, sandbox)
    _link(client, moodle_site, HELLO_EXERCISE.replace("visibility: hidden",
                                                      "visibility: hidden\n    points: 3"))
    report = ask(client, moodle_site, "regrades", kind="assign", cmid=1, requested_by=2).json()
    _grade_all(session, db_factory, sandbox,
               [uuid.UUID(e["new_submission_id"]) for e in report["entries"]])
    final = ask(client, moodle_site, "regrades/read", kind="assign", cmid=1).json()
    diff = {e["user_id"]: (e["old_score"], e["old_max_score"], e["new_score"], e["max_score"],
                           e["changed"]) for e in final["entries"]}
    assert diff == {5: (2.0, 2.0, 4.0, 4.0, True), 6: (1.0, 2.0, 1.0, 4.0, True),
                    7: (1.0, 2.0, 1.0, 4.0, True)}
    assert final["changed"] == 3 and moodle_site.grade_of(1, 6) == 25


def test_history_and_results_for_the_plugin(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], sandbox: DockerSandbox) -> None:
    items = _graded_class(moodle_site, client, session, db_factory, sandbox)
    moodle_item = session.get(IntakeItem, items[6]).item_id
    answer = ask(client, moodle_site, "history", user_id=6, cmid=1, item_id=moodle_item)
    assert [e["event"] for e in answer.json()["entries"]] == ["graded", "pushed"]
    assert ask(client, moodle_site, "history", user_id=6, cmid=1,
               item_id=moodle_item + 100).json() == {"entries": []}
    assert len(ask(client, moodle_site, "history", user_id=5).json()["entries"]) == 2

    page = ask(client, moodle_site, "results", kind="assign", cmid=1, limit=2).json()
    assert [s["user_id"] for s in page["students"]] == [5, 6] and page["next_after_user_id"] == 6
    first = page["students"][0]
    assert (first["score"], first["max_score"], first["grade"]) == (2.0, 2.0, 100.0)
    assert [(t["name"], t["status"]) for t in first["tests"]] == [
        ("greets the world", "passed"), ("greets Ada", "passed")]
    rest = ask(client, moodle_site, "results", kind="assign", cmid=1, after_user_id=6).json()
    assert [s["user_id"] for s in rest["students"]] == [7] and rest["next_after_user_id"] is None

    exported = ask(client, moodle_site, "results", kind="assign", cmid=1, format="csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 6  # 3 students x 2 tests
    assert {(r["user_id"], r["test"], r["test_status"], r["grade"]) for r in rows} >= {
        ("6", "greets Ada", "failed", "50.0"), ("5", "greets Ada", "passed", "100.0")}
    operator = client.get(f"/api/v1/sites/{moodle_site.site}/assignments/1/results?format=csv")
    assert operator.text == exported.text

    rates = ask(client, moodle_site, "results/pass-rates", kind="assign", cmid=1).json()
    assert rates["students"] == 3
    assert [(t["test"], t["passed"], t["total"], t["rate"]) for t in rates["tests"]] == [
        ("greets the world", 3, 3, 1.0), ("greets Ada", 1, 3, 0.3333)]
    assert client.get(f"/api/v1/sites/{moodle_site.site}/assignments/1/pass-rates"
                      ).json() == rates


def test_the_ping_says_whether_the_secret_works(moodle_site: FakeMoodle,
                                                client: TestClient) -> None:
    good = ask(client, moodle_site, "ping")
    assert good.status_code == 200 and good.json()["ok"] is True
    assert good.json()["jwks_url"].endswith("/api/v1/auth/jwks.json")
    wrong = ask(client, moodle_site, "ping", secret="not-the-secret-" + "x" * 32)
    assert (wrong.status_code, wrong.json()["error"]) == (401, "bad_signature")
    body = json.dumps({"schema": 1, "site": moodle_site.site, "nonce": "a" * 32}).encode()
    headers = moodle_site.sign(body)
    assert client.post("/api/v1/intake/ping", content=body, headers=headers).status_code == 200
    replayed = client.post("/api/v1/intake/ping", content=body, headers=headers)
    assert (replayed.status_code, replayed.json()["error"]) == (409, "replayed")


def test_signed_questions_refuse_what_is_malformed(moodle_site: FakeMoodle,
                                                   client: TestClient) -> None:
    assert ask(client, moodle_site, "regrades", kind="assign", cmid=1).status_code == 404
    bad = ask(client, moodle_site, "results", kind="assign", cmid=1, limit=5000)
    assert (bad.status_code, bad.json()["error"]) == (422, "schema_invalid")
    assert ask(client, moodle_site, "history", user_id="6").status_code == 422
    del client.headers["X-API-Key"]  # the key is neither needed nor enough
    assert client.post("/api/v1/intake/ping", json={}).status_code == 400
    assert client.get(f"/api/v1/sites/{moodle_site.site}/assignments/1/results"
                      ).status_code == 401


def test_a_regrade_of_500_students_is_500_grading_jobs(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        redis_client: Any) -> None:
    """One job per student on the grading queue, so every grading worker takes a share."""
    from bridge.intake import links
    from bridge.submissions import service as submissions

    link, _ = links.link_exercise_yaml(session, site=moodle_site.site, activity="assign",
                                       cmid=1, course_id=2, instance_id=1,
                                       exercise_yaml=HELLO_EXERCISE)
    for user in range(1, 501):
        submission = submissions.create(session, exercise_id=link.exercise_id,
                                        files={"hello.py": GOOD_HELLO})
        session.add(IntakeItem(site=moodle_site.site, kind="assign_submission", course_id=2,
                               cmid=1, instance_id=1, item_id=user, user_id=user,
                               attempt_number=0, submitted_at=1, status=IntakeStatus.FETCHED,
                               submission_id=submission.id))
    session.commit()
    redis_client.delete("grading")
    statements = []
    engine = session.get_bind().engine

    def count(*_: Any) -> None:
        statements.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    started_at = time.perf_counter()
    try:
        answer = ask(client, moodle_site, "regrades", kind="assign", cmid=1)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    elapsed = time.perf_counter() - started_at
    assert answer.status_code == 202 and answer.json()["total"] == 500
    jobs = [json.loads(raw) for raw in redis_client.lrange("grading", 0, -1)]
    ids = {job["headers"]["argsrepr"] for job in jobs}
    assert len(jobs) == len(ids) == 500
    print(f"\nregrade of 500 students: {elapsed:.2f} s for the request, {len(statements)} SQL "
          f"statements, {len(jobs)} grading jobs")


def test_a_teacher_regrades_a_quiz_question_from_moodle(
        quiz: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session]) -> None:
    attempt, (first, _) = taken(quiz, client, session, db_factory)
    assert delivery.deliver(graded_question(session, first, 1).id,
                            factory=db_factory).state is DeliveryState.DELIVERED
    quiz.teacher_grades_question(attempt.id, 1, 9.0, "Good enough")  # by hand: must survive

    started = ask(client, quiz, "regrades", kind="quiz", cmid=2, question_bank_entry_id=101,
                  requested_by=2)
    assert started.status_code == 202, started.text
    assert [e["item"] for e in started.json()["entries"]] == [str(first.id)]
    assert started.json()["question_bank_entry_id"] == 101 and not started.json()["done"]
    again = graded_question(session, first, 2)  # the grading pipeline's last transaction
    assert delivery.deliver(again.id, factory=db_factory).state is \
        DeliveryState.TEACHER_OVERRIDE
    final = ask(client, quiz, "regrades/read", kind="quiz", cmid=2,
                question_bank_entry_id=101).json()
    assert (final["done"], final["changed"], final["kept_teacher_grade"]) == (True, 1, 1)
    assert [(e["user_id"], e["old_score"], e["new_score"], e["moodle"])
            for e in final["entries"]] == [(5, 1.0, 2.0, "teacher_override")]
    assert quiz.quiz_site.summary(attempt.id)["slots"]["1"]["mark"] == 9.0
    history = ask(client, quiz, "history", user_id=5, cmid=2).json()["entries"]
    assert [e["event"] for e in history if e["item_id"] == str(first.id)][-2:] == [
        "regrade_started", "teacher_override"]

    assert ask(client, quiz, "regrades", kind="quiz", cmid=2).status_code == 422
    assert ask(client, quiz, "regrades", kind="assign", cmid=1,
               question_bank_entry_id=101).status_code == 422
    assert ask(client, quiz, "regrades/read", kind="quiz", cmid=2,
               question_bank_entry_id=102).status_code == 404
    assert ask(client, quiz, "regrades", kind="quiz", cmid=2,
               question_bank_entry_id=999).status_code == 404
