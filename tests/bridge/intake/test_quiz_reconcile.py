"""Quiz reconciliation: finished attempts whose notification never arrived are found through
local_bridge_get_finished_attempts on the stand-in, and taken in as a notification would be."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bridge.intake import questions, quiz_sweep, reconcile, service
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind, QuestionLink
from bridge.moodle import MoodleClient, MoodleWSException
from bridge.moodle.schemas import MAX_FINISHED_ATTEMPTS
from bridge.worker.jobs import MOODLE_QUEUE
from grader import SPEC_FILE
from tests.bridge.moodle.test_quiz_functions import PLUGIN, php_keys
from tests.fakes import moodle_quiz
from tests.fakes.moodle import FakeMoodle
from tests.fakes.moodle_quiz import GOOD_SQUARES, GOOD_TOTAL, QUESTION_EXERCISES

STUDENT = 5


@pytest.fixture
def quiz(moodle_site: FakeMoodle, session: Session) -> FakeMoodle:
    """Quiz 1 (cmid 2) with its essays 101 and 102 linked in Moodle and here."""
    moodle_site.add_quiz(1)
    for entry, yaml in QUESTION_EXERCISES.items():
        questions.link_question(session, site=moodle_site.site, cmid=2, course_id=2,
                                instance_id=1, bank_entry_id=entry,
                                files={SPEC_FILE: yaml.encode()})
    session.commit()
    return moodle_site


def attempts(session: Session) -> list[IntakeItem]:
    session.expire_all()
    return list(session.scalars(select(IntakeItem).where(
        IntakeItem.kind == ItemKind.QUIZ_ATTEMPT).order_by(IntakeItem.item_id)))


def finished_calls(fake: FakeMoodle) -> list[dict]:
    return [p for f, p in fake.calls if f == "local_bridge_get_finished_attempts"]


def swept_until(session: Session, cmid: int = 2) -> set[int | None]:
    session.expire_all()
    return set(session.scalars(select(QuestionLink.swept_until).where(
        QuestionLink.cmid == cmid)))


def fetch_jobs(redis_client: redis.Redis) -> int:
    return sum(json.loads(raw)["headers"]["task"] == service.FETCH_ITEM
               for raw in redis_client.lrange(MOODLE_QUEUE, 0, -1))


def test_an_attempt_never_notified_is_found_and_graded_as_notified(
        quiz: FakeMoodle, client: TestClient, session: Session, db_factory: sessionmaker,
        redis_client: redis.Redis) -> None:
    lost = quiz.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: GOOD_TOTAL, 3: "True"})
    now = int(time.time())
    [taken] = reconcile.reconcile(factory=db_factory, now=now)
    [item] = attempts(session)
    assert (item.id, item.source, item.item_id, item.user_id, item.attempt_number,
            item.submitted_at, item.course_id, item.instance_id, item.cmid) == (
        taken, "reconcile", lost.id, STUDENT, 1, lost.timefinish, 2, 1, 2)
    assert fetch_jobs(redis_client) == 1
    assert service.fetch_item(taken, factory=db_factory) is IntakeStatus.FETCHED
    questions_made = session.scalar(select(func.count()).select_from(IntakeItem).where(
        IntakeItem.attempt_item_id == taken))
    assert questions_made == 2
    assert swept_until(session) == {now}

    # The next sweep asks from where this one ended (less the clock margin), takes nothing.
    assert reconcile.reconcile(factory=db_factory, now=now + 300) == []
    assert finished_calls(quiz)[-1] == {
        "cmid": "2", "since": str(now - quiz_sweep.SWEEP_MARGIN_S), "afterid": "0"}
    # The notification the plugin finally sends is a duplicate: nothing new, no fetch job.
    redis_client.delete(MOODLE_QUEUE)
    late = quiz.send_quiz_notification(client, lost)
    assert late.status_code == 200, late.text
    assert late.json() == {"id": str(taken), "status": "fetched", "duplicate": True}
    assert len(attempts(session)) == 1 and fetch_jobs(redis_client) == 0


def test_a_notified_attempt_is_left_alone(quiz: FakeMoodle, client: TestClient,
                                          session: Session, db_factory: sessionmaker,
                                          redis_client: redis.Redis) -> None:
    notified = quiz.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: GOOD_TOTAL})
    response = quiz.send_quiz_notification(client, notified)
    assert response.status_code == 202 and fetch_jobs(redis_client) == 1
    missed = quiz.add_quiz_attempt(1, 6, {1: GOOD_SQUARES})
    [taken] = reconcile.reconcile(factory=db_factory)
    by_attempt = {i.item_id: i for i in attempts(session)}
    assert by_attempt[notified.id].source == "notification"
    assert by_attempt[notified.id].id == uuid.UUID(response.json()["id"])
    assert (by_attempt[missed.id].id, by_attempt[missed.id].source) == (taken, "reconcile")
    assert fetch_jobs(redis_client) == 2  # the notified attempt's job, and the missed one's


def test_previews_and_unfinished_attempts_are_not_taken(
        quiz: FakeMoodle, session: Session, db_factory: sessionmaker) -> None:
    quiz.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES}, preview=True)
    open_attempt = quiz.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES}, state="inprogress")
    assert reconcile.reconcile(factory=db_factory) == []
    quiz.quiz_site.finish(open_attempt.id)  # submitted later (by the student, or by cron)
    [taken] = reconcile.reconcile(factory=db_factory)
    assert [(i.id, i.item_id) for i in attempts(session)] == [(taken, open_attempt.id)]


def test_many_attempts_come_page_by_page_none_twice(
        quiz: FakeMoodle, session: Session, db_factory: sessionmaker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moodle_quiz, "MAX_FINISHED_ATTEMPTS", 2)
    made = [quiz.add_quiz_attempt(1, user, {1: GOOD_SQUARES}) for user in range(10, 15)]
    for attempt in made[:3]:
        attempt.timefinish = made[0].timefinish  # three finished in the same second
    taken = reconcile.reconcile(factory=db_factory)
    assert len(taken) == 5
    assert [i.item_id for i in attempts(session)] == [a.id for a in made]
    pages = finished_calls(quiz)
    assert len(pages) == 3
    assert pages[1] == {"cmid": "2", "since": str(made[0].timefinish),
                        "afterid": str(made[1].id)}  # the cursor goes past the tie


def test_a_sweep_cut_short_goes_on_from_where_it_stopped(
        quiz: FakeMoodle, session: Session, db_factory: sessionmaker,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moodle_quiz, "MAX_FINISHED_ATTEMPTS", 2)
    monkeypatch.setattr(quiz_sweep, "MAX_PAGES", 1)
    made = [quiz.add_quiz_attempt(1, user, {1: GOOD_SQUARES}) for user in range(10, 13)]
    for offset, attempt in enumerate(made):
        attempt.timefinish -= 1000 - offset * 500  # long ago, then later and later
    now = int(time.time())
    assert len(reconcile.reconcile(factory=db_factory, now=now)) == 2
    assert swept_until(session) == {made[1].timefinish}  # not `now`: the rest is still to see
    assert len(reconcile.reconcile(factory=db_factory, now=now + 60)) == 1
    assert [i.item_id for i in attempts(session)] == [a.id for a in made]
    assert swept_until(session) == {now + 60}


def test_only_quizzes_with_enabled_links_are_asked_and_one_refusal_stops_nothing(
        quiz: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    quiz.add_quiz(2, cmid=3)  # no question of it is linked here: never asked
    quiz.add_quiz(3, cmid=4)
    questions.link_question(session, site=quiz.site, cmid=4, course_id=2, instance_id=3,
                            bank_entry_id=101, files={SPEC_FILE: QUESTION_EXERCISES[101].encode()})
    session.commit()
    quiz.quiz_site.denied.add(2)  # the bridge's role lost mod/quiz:grade in quiz cmid 2
    quiz.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES})
    quiz.add_quiz_attempt(2, STUDENT, {1: GOOD_SQUARES})
    third = quiz.add_quiz_attempt(3, STUDENT, {1: GOOD_SQUARES})
    [taken] = reconcile.reconcile(factory=db_factory)
    assert [(i.id, i.item_id, i.cmid) for i in attempts(session)] == [(taken, third.id, 4)]
    assert [p["cmid"] for p in finished_calls(quiz)] == ["2", "4"]
    assert swept_until(session, cmid=2) == {None}  # refused: swept again from the start

    # Disabled, a quiz is not swept; a question linked later sweeps its quiz from the start.
    client.put(f"/api/v1/sites/{quiz.site}/quizzes/4/questions/101/exercise",
               json={"course_id": 2, "instance_id": 3, "enabled": False})
    quiz.quiz_site.denied.clear()
    calls = len(finished_calls(quiz))
    reconcile.reconcile(factory=db_factory)
    assert [p["cmid"] for p in finished_calls(quiz)[calls:]] == ["2"]
    assert finished_calls(quiz)[-1]["since"] == "0"


def test_the_plugins_function_and_the_stand_in_agree(quiz: FakeMoodle) -> None:
    quiz.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES})
    with MoodleClient(quiz.url, quiz.token, timeout=5) as moodle:
        data = moodle.call("local_bridge_get_finished_attempts", {"cmid": 2})
        assert set(data) | set(data["attempts"][0]) == php_keys("get_finished_attempts",
                                                                "execute_returns")
        assert php_keys("get_finished_attempts", "execute_parameters") == {
            "cmid", "since", "afterid"}
        with pytest.raises(MoodleWSException, match="invalidrecord"):
            moodle.get_finished_attempts(99)
    limits = (PLUGIN / "classes" / "finished_attempts.php").read_text()
    assert f"MAX_ATTEMPTS = {MAX_FINISHED_ATTEMPTS};" in limits
    assert moodle_quiz.MAX_FINISHED_ATTEMPTS == MAX_FINISHED_ATTEMPTS
    services = (PLUGIN / "db" / "services.php").read_text()
    assert "'local_bridge_get_finished_attempts' => [" in services
