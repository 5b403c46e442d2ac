"""Quiz intake: question links from the plugin's questions page, and an attempt becoming one
item per linked question, read through local_bridge_get_attempt_responses on the stand-in."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bridge.intake import service
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.intake.tasks import MAX_RETRIES, fetch_item_task
from bridge.moodle import AttemptNotFinished, MoodleProtocolError, MoodleUnavailable
from bridge.submissions.repository import SubmissionRepository
from tests.fakes.moodle import FakeMoodle
from tests.fakes.moodle_quiz import (
    GOOD_SQUARES,
    GOOD_TOTAL,
    MAX_RESPONSE_BYTES,
    QUESTION_EXERCISES,
    SQUARES_EXERCISE,
)
from tests.support import fresh_timestamp

STUDENT = 5


@pytest.fixture
def quiz_site(moodle_site: FakeMoodle) -> FakeMoodle:
    """Quiz 1 (cmid 2): essays 101 (slot 1) and 102 (slot 2) linked in the plugin, a
    true/false (103, slot 3) that is not."""
    moodle_site.add_quiz(1)
    return moodle_site


def upload(client: TestClient, fake: FakeMoodle, entry: int, yaml: str | None = None
           ) -> dict:
    """The plugin's questions page saving one question (each save signed anew)."""
    body = fake.quiz_exercise_body(1, entry, yaml or QUESTION_EXERCISES[entry])
    response = client.post("/api/v1/intake/exercises", content=body,
                           headers=fake.sign(body, fresh_timestamp()))
    return {"status": response.status_code, **response.json()}


def link_both(client: TestClient, fake: FakeMoodle) -> None:
    for entry in (101, 102):
        assert upload(client, fake, entry)["status"] == 200


def notify(client: TestClient, fake: FakeMoodle, attempt) -> uuid.UUID:
    response = fake.send_quiz_notification(client, attempt)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


def questions_of(session: Session, attempt_item: uuid.UUID) -> list[IntakeItem]:
    session.expire_all()
    return list(session.scalars(select(IntakeItem).where(
        IntakeItem.attempt_item_id == attempt_item).order_by(IntakeItem.slot)))


@pytest.fixture
def answered(quiz_site: FakeMoodle) -> Iterator[object]:
    yield quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: GOOD_TOTAL, 3: "True"})


def test_question_links_from_the_questions_page(quiz_site: FakeMoodle,
                                                client: TestClient) -> None:
    first = upload(client, quiz_site, 101)
    assert (first["status"], first["valid"], first["version"]) == (200, True, 1)
    assert first["message"] == "2 tests, 2 points, version 1"
    assert upload(client, quiz_site, 101)["version"] == 1  # saved again unchanged
    assert upload(client, quiz_site, 101, SQUARES_EXERCISE.replace("five", "5"))["version"] == 2
    assert upload(client, quiz_site, 102)["version"] == 1
    listed = client.get(f"/api/v1/sites/{quiz_site.site}/quizzes/2/questions").json()
    assert [(q["question_bank_entry_id"], q["question_id"], q["name"], q["exercise_version"],
             q["instance_id"]) for q in listed] == [
        (101, 11, "Question 11", 2, 1), (102, 12, "Question 12", 1, 1)]
    assert listed[0]["exercise_id"] != listed[1]["exercise_id"]  # an exercise per question


def test_a_broken_question_exercise_is_refused_precisely(quiz_site: FakeMoodle,
                                                         client: TestClient) -> None:
    broken = upload(client, quiz_site, 101, "language: cobol\nentrypoint: x.cob\n")
    assert broken["status"] == 422 and broken["valid"] is False
    assert "exercise.yaml" in broken["detail"] and "language" in broken["detail"]
    assert client.get(f"/api/v1/sites/{quiz_site.site}/quizzes/2/questions/101/exercise"
                      ).status_code == 404  # nothing stored


@pytest.mark.parametrize(("change", "message"), [
    ({"question": None}, "question object"),
    ({"kind": "assign"}, "no question object"),
    ({"question": {"question_bank_entry_id": 101}}, "question.question_id"),
    ({"question": {"question_bank_entry_id": 0, "question_id": 11}},
     "question.question_bank_entry_id"),
    ({"question": {"question_bank_entry_id": 101, "question_id": 11, "slot": 1}},
     "question.slot"),
])
def test_an_upload_names_its_question_exactly(change: dict, message: str,
                                              quiz_site: FakeMoodle, client: TestClient,
                                              session: Session) -> None:
    body = json.loads(quiz_site.quiz_exercise_body(1, 101, SQUARES_EXERCISE)) | change
    if body["question"] is None:
        del body["question"]
    raw = json.dumps(body).encode()
    response = client.post("/api/v1/intake/exercises", content=raw,
                           headers=quiz_site.sign(raw, fresh_timestamp()))
    assert response.status_code == 422 and message in response.json()["detail"], response.text
    assert client.get(f"/api/v1/sites/{quiz_site.site}/quizzes/2/questions").json() == []


def test_an_attempt_is_one_item_per_linked_question(quiz_site: FakeMoodle, client: TestClient,
                                                    session: Session, db_factory: sessionmaker,
                                                    answered) -> None:
    link_both(client, quiz_site)
    attempt_item = notify(client, quiz_site, answered)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    items = questions_of(session, attempt_item)
    assert [(i.kind, i.slot, i.question_id, i.question_bank_entry_id, i.sequence_check,
             i.max_mark, i.item_id, i.attempt_number) for i in items] == [
        (ItemKind.QUIZ_QUESTION, 1, 11, 101, 3, 10.0, answered.id, 1),
        (ItemKind.QUIZ_QUESTION, 2, 12, 102, 3, 10.0, answered.id, 1)]  # not the true/false
    subs = SubmissionRepository(session)
    files = [{f.path: f.content for f in subs.get_with_files(i.submission_id).files}
             for i in items]
    assert files == [{"squares.py": GOOD_SQUARES.encode()}, {"total.py": GOOD_TOTAL.encode()}]

    listed = client.get(f"/api/v1/sites/{quiz_site.site}/items",
                        params={"attempt_id": answered.id}).json()
    assert sorted((i["kind"], i["slot"]) for i in listed) == [
        ("quiz_attempt", None), ("quiz_question", 1), ("quiz_question", 2)]
    attempt = client.get(f"/api/v1/items/{attempt_item}").json()
    assert attempt["status"] == "queued" and attempt["intake_status"] == "fetched"
    assert [(q["slot"], q["status"], q["attempt_item"]) for q in attempt["questions"]] == [
        (1, "queued", str(attempt_item)), (2, "queued", str(attempt_item))]
    one = client.get(f"/api/v1/items/{items[1].id}").json()
    assert (one["question_bank_entry_id"], one["question_id"], one["max_mark"],
            one["sequence_check"]) == (102, 12, 10.0, 3)


def test_duplicates_and_fetching_again_make_nothing_twice(
        quiz_site: FakeMoodle, client: TestClient, session: Session, db_factory: sessionmaker,
        answered) -> None:
    link_both(client, quiz_site)
    attempt_item = notify(client, quiz_site, answered)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    again = quiz_site.send_quiz_notification(client, answered, timestamp=int(time.time()) + 1)
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    # A refetch of the attempt (a newer event for it, say) finds its questions already made.
    with db_factory() as other:
        service.refetch(other, other.get(IntakeItem, attempt_item), answered.timefinish + 5,
                        event_id=None)
        other.commit()
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    assert len(questions_of(session, attempt_item)) == 2
    total = session.scalar(select(func.count()).select_from(IntakeItem).where(
        IntakeItem.kind == ItemKind.QUIZ_QUESTION))
    assert total == 2


def test_only_questions_linked_here_are_taken(quiz_site: FakeMoodle, client: TestClient,
                                              session: Session, db_factory: sessionmaker,
                                              answered) -> None:
    upload(client, quiz_site, 102)  # 101 is linked in Moodle, but its exercise never was here
    attempt_item = notify(client, quiz_site, answered)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    assert [i.question_bank_entry_id for i in questions_of(session, attempt_item)] == [102]


def test_a_quiz_with_nothing_linked_here_has_no_exercise(quiz_site: FakeMoodle,
                                                        client: TestClient,
                                                        db_factory: sessionmaker,
                                                        answered) -> None:
    attempt_item = notify(client, quiz_site, answered)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.NO_EXERCISE
    read = client.get(f"/api/v1/items/{attempt_item}").json()
    assert read["status"] == "no_exercise" and "linked" in read["error"]
    assert read["questions"] == []


def test_unlinking_and_disabling_leave_the_question_to_the_teacher(
        quiz_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    link_both(client, quiz_site)
    base = f"/api/v1/sites/{quiz_site.site}/quizzes/2/questions"
    assert client.delete(f"{base}/101/exercise").status_code == 204
    assert client.delete(f"{base}/101/exercise").status_code == 404
    disabled = client.put(f"{base}/102/exercise", json={"course_id": 2, "instance_id": 1,
                                                        "enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    attempt = quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: GOOD_TOTAL})
    attempt_item = notify(client, quiz_site, attempt)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.NO_EXERCISE
    enabled = client.put(f"{base}/102/exercise", json={"course_id": 2, "instance_id": 1})
    assert enabled.json()["enabled"] is True and enabled.json()["exercise_version"] == 1
    second = quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: GOOD_TOTAL})
    second_item = notify(client, quiz_site, second)
    assert service.fetch_item(second_item, factory=db_factory) is IntakeStatus.FETCHED
    assert [i.question_bank_entry_id for i in questions_of(session, second_item)] == [102]


def test_reordering_keeps_each_question_with_its_exercise(
        quiz_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    link_both(client, quiz_site)
    exercise_of = {q["question_bank_entry_id"]: q["exercise_id"] for q in client.get(
        f"/api/v1/sites/{quiz_site.site}/quizzes/2/questions").json()}
    quiz_site.quiz_site.reorder(1, [102, 103, 101])  # the teacher moves the questions
    attempt = quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_TOTAL, 3: GOOD_SQUARES})
    attempt_item = notify(client, quiz_site, attempt)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    subs = SubmissionRepository(session)
    taken = {}
    for item in questions_of(session, attempt_item):
        submission = subs.get_with_files(item.submission_id)
        version = session.get(type(submission).exercise_version.property.mapper.class_,
                              submission.exercise_version_id)
        taken[item.question_bank_entry_id] = (item.slot, str(version.exercise_id),
                                              [f.path for f in submission.files])
    assert taken == {102: (1, exercise_of[102], ["total.py"]),
                     101: (3, exercise_of[101], ["squares.py"])}


def test_a_second_attempt_is_its_own_items(quiz_site: FakeMoodle, client: TestClient,
                                           session: Session, db_factory: sessionmaker,
                                           answered) -> None:
    link_both(client, quiz_site)
    first = notify(client, quiz_site, answered)
    second_attempt = quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: "print(3)\n"})
    second = notify(client, quiz_site, second_attempt)
    for item in (first, second):
        assert service.fetch_item(item, factory=db_factory) is IntakeStatus.FETCHED
    firsts, seconds = questions_of(session, first), questions_of(session, second)
    assert [i.attempt_number for i in firsts + seconds] == [1, 1, 2, 2]
    assert {i.item_id for i in seconds} == {second_attempt.id}
    assert not {i.submission_id for i in firsts} & {i.submission_id for i in seconds}


def test_an_attempt_not_finished_yet_is_asked_again(quiz_site: FakeMoodle, client: TestClient,
                                                   session: Session,
                                                   db_factory: sessionmaker) -> None:
    link_both(client, quiz_site)
    attempt = quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: GOOD_TOTAL},
                                         state="inprogress")
    attempt.timefinish = int(time.time())  # notified as Moodle does, just before grading
    attempt_item = notify(client, quiz_site, attempt)
    with pytest.raises(AttemptNotFinished, match="attemptnotfinished"):
        service.fetch_item(attempt_item, factory=db_factory)
    session.expire_all()
    assert session.get(IntakeItem, attempt_item).status is IntakeStatus.RECEIVED
    quiz_site.quiz_site.finish(attempt.id)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED


def test_an_attempt_that_never_finishes_fails_for_that_reason(
        quiz_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last retry of the fetch job says the attempt stayed unfinished, not that Moodle was
    unreachable: Moodle answered every time."""
    monkeypatch.setattr("bridge.db.get_sessionmaker", lambda: db_factory)
    link_both(client, quiz_site)
    attempt = quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES}, state="inprogress")
    attempt.timefinish = int(time.time())  # notified, then reopened and never submitted
    attempt_item = notify(client, quiz_site, attempt)
    last_try(attempt_item, AttemptNotFinished)
    read = client.get(f"/api/v1/items/{attempt_item}").json()
    assert read["status"] == "failed"
    assert read["error"].startswith("the quiz attempt never became finished in Moodle")
    assert "attemptnotfinished" in read["error"] and "unreachable" not in read["error"]

    down = notify(client, quiz_site, quiz_site.add_quiz_attempt(1, 6, {1: GOOD_SQUARES}))
    quiz_site.outage = 503  # a real outage still says so
    last_try(down, MoodleUnavailable)
    assert client.get(f"/api/v1/items/{down}").json()["error"].startswith(
        "Moodle unreachable: local_bridge_get_attempt_responses: HTTP 503")


def last_try(item_id: uuid.UUID, raised: type[Exception]) -> None:
    """The fetch task's run once every retry is used up (a real task, its request pushed)."""
    fetch_item_task.push_request(retries=MAX_RETRIES)
    try:
        with pytest.raises(raised):
            fetch_item_task.run(str(item_id))
    finally:
        fetch_item_task.pop_request()


def test_responses_that_cannot_be_graded_are_rejected_clearly(
        quiz_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    link_both(client, quiz_site)
    huge = "#" * (MAX_RESPONSE_BYTES + 10)
    attempt = quiz_site.add_quiz_attempt(1, STUDENT, {1: huge, 2: "   \n"})
    attempt_item = notify(client, quiz_site, attempt)
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    too_large, empty = questions_of(session, attempt_item)
    assert too_large.status is IntakeStatus.REJECTED and too_large.submission_id is None
    assert f"{MAX_RESPONSE_BYTES + 10} bytes" in too_large.error
    assert empty.status is IntakeStatus.REJECTED and "no response" in empty.error
    assert client.get(f"/api/v1/items/{attempt_item}").json()["status"] == "rejected"


@pytest.mark.parametrize(("answer", "expected"), [
    (b'{"attemptid": 1, "questions": "none"}', "unexpected answer: quizid"),
    (b'[]', "unexpected answer: answer"),
])
def test_an_odd_moodle_answer_is_a_clear_error(answer: bytes, expected: str,
                                               quiz_site: FakeMoodle, client: TestClient,
                                               session: Session, db_factory: sessionmaker,
                                               answered) -> None:
    link_both(client, quiz_site)
    attempt_item = notify(client, quiz_site, answered)
    quiz_site.raw_answer = answer
    with pytest.raises(MoodleProtocolError, match=expected):
        service.fetch_item(attempt_item, factory=db_factory)
    session.expire_all()
    assert session.get(IntakeItem, attempt_item).status is IntakeStatus.RECEIVED  # retried


def test_an_attempt_of_someone_else_is_refused(quiz_site: FakeMoodle, client: TestClient,
                                               session: Session, db_factory: sessionmaker,
                                               answered) -> None:
    link_both(client, quiz_site)
    answered.user_id = 6  # the notification and Moodle disagree about whose attempt it is
    body = json.loads(quiz_site.quiz_notification_body(answered))
    answered.user_id = STUDENT
    raw = json.dumps(body | {"user_id": 6}).encode()
    response = client.post("/api/v1/intake/notifications", content=raw,
                           headers=quiz_site.sign(raw))
    attempt_item = uuid.UUID(response.json()["id"])
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FAILED
    read = client.get(f"/api/v1/items/{attempt_item}").json()
    assert "userid is 5, the notification said 6" in read["error"]
    assert questions_of(session, attempt_item) == []


def test_a_response_is_graded_by_the_version_current_when_it_was_finished(
        quiz_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker) -> None:
    link_both(client, quiz_site)
    attempt = quiz_site.add_quiz_attempt(1, STUDENT, {1: GOOD_SQUARES, 2: GOOD_TOTAL})
    attempt.timefinish -= 5  # finished before the teacher saved the question again
    attempt_item = notify(client, quiz_site, attempt)
    assert upload(client, quiz_site, 101, SQUARES_EXERCISE.replace("five", "5"))["version"] == 2
    assert service.fetch_item(attempt_item, factory=db_factory) is IntakeStatus.FETCHED
    subs = SubmissionRepository(session)
    first = questions_of(session, attempt_item)[0]
    from bridge.exercises.models import ExerciseVersion

    version = session.get(ExerciseVersion, subs.get(first.submission_id).exercise_version_id)
    assert version.number == 1
