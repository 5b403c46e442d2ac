"""Delivering quiz question marks through the outbox with local_bridge_save_question_grade:
scaled to the question's maximum, the assignments' feedback, never over a teacher's hand mark,
stale sequence checks read again, unfinished attempts retried, repeats harmless."""

from __future__ import annotations

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bridge.delivery import service
from bridge.delivery.feedback import render_feedback
from bridge.delivery.models import Delivery, DeliveryState
from bridge.intake import question_regrade, questions
from bridge.intake import service as intake
from bridge.intake.models import IntakeItem, IntakeStatus
from bridge.submissions.models import Result, Submission, SubmissionStatus
from bridge.submissions.repository import SubmissionRepository
from grader import SPEC_FILE
from grader.exercise import Visibility
from grader.results import GradingResult, RunStatus, TestResult, TestStatus
from tests.fakes.moodle import FakeMoodle
from tests.fakes.moodle_quiz import GOOD_SQUARES, GOOD_TOTAL, QUESTION_EXERCISES
from tests.support import fresh_timestamp

STUDENT = 5


def result(score: float) -> GradingResult:
    """Two tests of a point each: the visible one passes from score 1, the hidden from 2."""
    tests = [
        TestResult(name="visible test", status=TestStatus.PASSED if score >= 1
                   else TestStatus.FAILED, score=min(score, 1), max_score=1,
                   visibility=Visibility.VISIBLE, expected="3\n", actual="3\n"),
        TestResult(name="hidden test", status=TestStatus.PASSED if score >= 2
                   else TestStatus.FAILED, score=max(score - 1, 0), max_score=1,
                   visibility=Visibility.HIDDEN, expected="15\n", actual="secret"),
    ]
    return GradingResult(status=RunStatus.PASSED if score == 2 else RunStatus.FAILED,
                         score=score, max_score=2, language="python", tests=tests,
                         total_time_s=0.1, image_digest="sha256:test", grader_version="test")


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


def taken(fake: FakeMoodle, client: TestClient, session: Session, db_factory: sessionmaker,
          user: int = STUDENT) -> tuple[object, list[IntakeItem]]:
    """A finished attempt, notified and fetched: (the stand-in's attempt, its question items)."""
    attempt = fake.add_quiz_attempt(1, user, {1: GOOD_SQUARES, 2: GOOD_TOTAL, 3: "True"})
    response = fake.send_quiz_notification(client, attempt, timestamp=fresh_timestamp())
    attempt_item = uuid.UUID(response.json()["id"])
    assert intake.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    session.expire_all()
    items = list(session.scalars(select(IntakeItem).where(
        IntakeItem.attempt_item_id == attempt_item).order_by(IntakeItem.slot)))
    return attempt, items


def graded(session: Session, item: IntakeItem, score: float) -> Delivery:
    """The grading pipeline's last transaction for the item's current submission."""
    session.refresh(item)
    submission = session.get(Submission, item.submission_id)
    submission.status = SubmissionStatus.GRADED
    doc = result(score)
    SubmissionRepository(session).add_result(Result(
        submission_id=submission.id, grading_round=1, status=doc.status.value,
        score=doc.score, max_score=doc.max_score, image_digest="sha256:test",
        grader_version="test", document=doc.model_dump(mode="json")))
    service.on_graded(session, submission_id=submission.id, grading_round=1)
    session.commit()
    return session.scalars(select(Delivery).where(
        Delivery.submission_id == submission.id)).one()


def test_marks_and_comments_land_and_the_attempt_is_totalled(
        quiz: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    attempt, (first, second) = taken(quiz, client, session, db_factory)
    one = graded(session, first, 1)
    assert service.deliver(one.id, factory=db_factory).grade == 5.0
    assert attempt.sumgrades() is None  # slot 2 still needs grading
    two = graded(session, second, 2)
    assert service.deliver(two.id, factory=db_factory).state is DeliveryState.DELIVERED
    marks = quiz.quiz_site.summary(attempt.id)
    assert {s: (v["mark"], v["graded_by"]) for s, v in marks["slots"].items()} == {
        "1": (5.0, FakeMoodle.BRIDGE_USER), "2": (10.0, FakeMoodle.BRIDGE_USER),
        "3": (1.0, 0)}  # the true/false keeps its automatic mark
    assert marks["sumgrades"] == 16.0 and marks["grade"] == pytest.approx(16 / 21 * 100)
    assert marks["slots"]["1"]["comment"] == render_feedback(result(1), after_due_date=False)
    assert "Hidden tests: 0 of 1 passed" in marks["slots"]["1"]["comment"]
    assert "secret" not in marks["slots"]["1"]["comment"]
    read = client.get(f"/api/v1/items/{first.id}").json()
    assert (read["status"], read["grade"], read["score"], read["slot"]) == (
        "delivered", 5.0, 1.0, 1)
    whole = client.get(f"/api/v1/items/{first.attempt_item_id}").json()
    # The attempt totals its linked questions (maximum marks 10 and 10 here).
    assert (whole["status"], whole["score"], whole["max_score"], whole["grade"]) == (
        "delivered", 15.0, 20.0, 15.0)
    # The job running again pushes nothing more.
    steps = marks["slots"]["1"]["steps"]
    assert service.deliver(one.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert quiz.quiz_site.summary(attempt.id)["slots"]["1"]["steps"] == steps


def test_a_lost_answer_is_delivered_again_harmlessly(quiz: FakeMoodle, client: TestClient,
                                                    session: Session,
                                                    db_factory: sessionmaker) -> None:
    attempt, (first, _) = taken(quiz, client, session, db_factory)
    delivery = graded(session, first, 2)
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED
    steps = quiz.quiz_site.summary(attempt.id)["slots"]["1"]["steps"]
    with db_factory() as other:  # Moodle saved it, but its answer never reached us
        other.get(Delivery, delivery.id).state = DeliveryState.RETRYING
        other.commit()
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert quiz.quiz_site.summary(attempt.id)["slots"]["1"]["steps"] == steps  # changed: false


def test_a_teacher_mark_before_ours_is_kept(quiz: FakeMoodle, client: TestClient,
                                            session: Session, db_factory: sessionmaker) -> None:
    attempt, (first, _) = taken(quiz, client, session, db_factory)
    quiz.teacher_grades_question(attempt.id, 1, 8.0)
    delivery = graded(session, first, 1)
    decided = service.deliver(delivery.id, factory=db_factory)
    assert decided.state is DeliveryState.TEACHER_OVERRIDE
    assert "user 2 marked slot 1 by hand (8 of 10)" in decided.error
    assert quiz.quiz_site.summary(attempt.id)["slots"]["1"]["mark"] == 8.0
    assert client.get(f"/api/v1/items/{first.id}").json()["status"] == "teacher_override"


def test_a_teacher_mark_after_ours_survives_a_regrade(quiz: FakeMoodle, client: TestClient,
                                                      session: Session,
                                                      db_factory: sessionmaker) -> None:
    attempt, (first, _) = taken(quiz, client, session, db_factory)
    assert service.deliver(graded(session, first, 1).id,
                           factory=db_factory).state is DeliveryState.DELIVERED
    quiz.teacher_grades_question(attempt.id, 1, 9.0, "Good enough")
    regrade = question_regrade.regrade_question(session, site=quiz.site, cmid=2,
                                                bank_entry_id=101)
    session.commit()
    assert [e["item"] for e in regrade.entries] == [str(first.id)]
    again = graded(session, first, 2)
    assert service.deliver(again.id, factory=db_factory).state is DeliveryState.TEACHER_OVERRIDE
    slot = quiz.quiz_site.summary(attempt.id)["slots"]["1"]
    assert (slot["mark"], slot["comment"]) == (9.0, "Good enough")


def test_our_own_mark_is_replaced_by_a_regrade(quiz: FakeMoodle, client: TestClient,
                                               session: Session, db_factory: sessionmaker
                                               ) -> None:
    attempt, (first, _) = taken(quiz, client, session, db_factory)
    old = graded(session, first, 1)
    service.deliver(old.id, factory=db_factory)
    question_regrade.regrade_question(session, site=quiz.site, cmid=2, bank_entry_id=101)
    session.commit()
    new = graded(session, first, 2)
    assert service.deliver(new.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert quiz.quiz_site.summary(attempt.id)["slots"]["1"]["mark"] == 10.0


def test_a_stale_sequence_check_is_read_again(quiz: FakeMoodle, client: TestClient,
                                              session: Session, db_factory: sessionmaker) -> None:
    attempt, (first, second) = taken(quiz, client, session, db_factory)
    calls = len(quiz.calls)
    # Moodle itself adds a step between our read and our save (regrading the attempt).
    quiz.quiz_site.after_read.append(lambda: quiz.quiz_site.engine_step(attempt.id, 1))
    delivery = graded(session, first, 2)
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED
    functions = [f for f, _ in quiz.calls[calls:]]
    assert functions.count("local_bridge_save_question_grade") == 2  # refused, then saved
    assert functions.count("local_bridge_get_attempt_responses") == 2
    assert quiz.quiz_site.summary(attempt.id)["slots"]["1"]["mark"] == 10.0

    # A teacher marks between our read and our save: the refusal, read again, keeps the mark.
    quiz.quiz_site.after_read.append(lambda: quiz.quiz_site.manual_grade(
        attempt, 2, 3.0, "Mine", 1, FakeMoodle.TEACHER_USER))
    other = graded(session, second, 2)
    assert service.deliver(other.id, factory=db_factory).state is DeliveryState.TEACHER_OVERRIDE
    assert quiz.quiz_site.summary(attempt.id)["slots"]["2"]["mark"] == 3.0


def test_an_attempt_reopened_is_retried_and_a_changed_response_parked(
        quiz: FakeMoodle, client: TestClient, session: Session, db_factory: sessionmaker
        ) -> None:
    attempt, (first, second) = taken(quiz, client, session, db_factory)
    delivery = graded(session, first, 2)
    attempt.state = "inprogress"
    decided = service.deliver(delivery.id, factory=db_factory)
    assert decided.state is DeliveryState.RETRYING and "attemptnotfinished" in decided.error
    attempt.state = "finished"
    assert service.deliver(delivery.id, factory=db_factory).state is DeliveryState.DELIVERED

    quiz.quiz_site.change_response(attempt.id, 2, "print(15)\n")
    parked = service.deliver(graded(session, second, 2).id, factory=db_factory)
    assert parked.state is DeliveryState.PARKED
    assert "the response in slot 2 is not the one graded" in parked.error
    assert quiz.quiz_site.summary(attempt.id)["slots"]["2"]["mark"] is None


def test_a_question_unlinked_in_moodle_is_parked(quiz: FakeMoodle, client: TestClient,
                                                 session: Session,
                                                 db_factory: sessionmaker) -> None:
    _, (first, _) = taken(quiz, client, session, db_factory)
    quiz.quiz_site.quizzes[1]["questions"][0].linked = False
    parked = service.deliver(graded(session, first, 2).id, factory=db_factory)
    assert parked.state is DeliveryState.PARKED
    assert "no longer returns question bank entry 101 (slot 1)" in parked.error


def test_a_second_attempt_is_delivered_on_its_own(quiz: FakeMoodle, client: TestClient,
                                                  session: Session,
                                                  db_factory: sessionmaker) -> None:
    first_attempt, (first, _) = taken(quiz, client, session, db_factory)
    second_attempt, (second, _) = taken(quiz, client, session, db_factory)
    old, new = graded(session, first, 1), graded(session, second, 2)
    # An assignment's older attempt would be superseded; a quiz attempt keeps its own mark.
    assert service.deliver(old.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert service.deliver(new.id, factory=db_factory).state is DeliveryState.DELIVERED
    assert quiz.quiz_site.summary(first_attempt.id)["slots"]["1"]["mark"] == 5.0
    assert quiz.quiz_site.summary(second_attempt.id)["slots"]["1"]["mark"] == 10.0


def after_due_result() -> GradingResult:
    """A test every student sees, and one shown only once the due date has passed."""
    tests = [TestResult(name="visible test", status=TestStatus.PASSED, score=1, max_score=1,
                        visibility=Visibility.VISIBLE, expected="3\n", actual="3\n"),
             TestResult(name="shown after the close", status=TestStatus.FAILED, score=0,
                        max_score=1, visibility=Visibility.AFTER_DUE_DATE, expected="15\n",
                        actual="14\n")]
    return GradingResult(status=RunStatus.FAILED, score=1, max_score=2, language="python",
                         tests=tests, total_time_s=0.1, image_digest="sha256:test",
                         grader_version="test")


def graded_with(session: Session, item: IntakeItem, doc: GradingResult) -> Delivery:
    """As graded(), with a result of the test's own."""
    session.refresh(item)
    submission = session.get(Submission, item.submission_id)
    submission.status = SubmissionStatus.GRADED
    SubmissionRepository(session).add_result(Result(
        submission_id=submission.id, grading_round=1, status=doc.status.value,
        score=doc.score, max_score=doc.max_score, image_digest="sha256:test",
        grader_version="test", document=doc.model_dump(mode="json")))
    service.on_graded(session, submission_id=submission.id, grading_round=1)
    session.commit()
    return session.scalars(select(Delivery).where(
        Delivery.submission_id == submission.id)).one()


def test_tests_after_the_due_date_show_once_the_quiz_has_closed(
        quiz: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    now = int(time.time())
    quiz.quiz_site.quizzes[1]["timeclose"] = now + 3600  # still open
    attempt, (first, second) = taken(quiz, client, session, db_factory)
    assert service.deliver(graded_with(session, first, after_due_result()).id,
                           factory=db_factory).state is DeliveryState.DELIVERED
    open_comment = quiz.quiz_site.summary(attempt.id)["slots"]["1"]["comment"]
    assert open_comment == render_feedback(after_due_result(), after_due_date=False)
    assert "shown after the close" not in open_comment

    quiz.quiz_site.quizzes[1]["overrides"][STUDENT] = now - 60  # closed for this student
    assert service.deliver(graded_with(session, second, after_due_result()).id,
                           factory=db_factory).state is DeliveryState.DELIVERED
    closed_comment = quiz.quiz_site.summary(attempt.id)["slots"]["2"]["comment"]
    assert closed_comment == render_feedback(after_due_result(), after_due_date=True)
    assert "<td>shown after the close</td><td>wrong output</td>" in closed_comment

    # A quiz that never closes (timeclose 0, or a plugin too old to say) never shows them.
    quiz.quiz_site.quizzes[1]["overrides"].clear()
    quiz.quiz_site.quizzes[1]["timeclose"] = 0
    later, (third, _) = taken(quiz, client, session, db_factory)
    service.deliver(graded_with(session, third, after_due_result()).id, factory=db_factory)
    assert "shown after the close" not in quiz.quiz_site.summary(later.id)["slots"]["1"][
        "comment"]


def test_a_delivery_records_the_questions_maximum(quiz: FakeMoodle, client: TestClient,
                                                  session: Session,
                                                  db_factory: sessionmaker) -> None:
    quiz.quiz_site.quizzes[1]["questions"][1].maxmark = 4.0
    attempt, (first, second) = taken(quiz, client, session, db_factory)
    one = graded(session, first, 1)
    assert service.deliver(one.id, factory=db_factory).max_grade == 10.0
    quiz.teacher_grades_question(attempt.id, 2, 3.0)
    two = graded(session, second, 2)
    assert service.deliver(two.id, factory=db_factory).state is DeliveryState.TEACHER_OVERRIDE
    session.expire_all()
    assert (session.get(Delivery, one.id).grade, session.get(Delivery, one.id).max_grade) == (
        5.0, 10.0)
    # What we would have pushed over the teacher's mark, out of the question's 4.
    assert (session.get(Delivery, two.id).grade, session.get(Delivery, two.id).max_grade) == (
        4.0, 4.0)
    listed = {d["id"]: (d["grade"], d["max_grade"]) for d in client.get(
        "/api/v1/deliveries").json()}
    assert listed[str(one.id)] == (5.0, 10.0) and listed[str(two.id)] == (4.0, 4.0)
