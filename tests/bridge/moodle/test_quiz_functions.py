"""local_bridge's quiz functions on the stand-in, called through the bridge's real Moodle client.

They pin the contract moodle_plugin/local/bridge/README.md documents: the read function returns
the linked questions only, as plain text with their sequence check and who graded last; the
write function records a mark through the question engine, recomputes the attempt and the quiz
grade, refuses a stale sequence check, and a repeat of its own grade changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bridge.moodle import MoodleClient, MoodleWSException
from tests.fakes.moodle import QUIZ_EVENT, REPO, FakeMoodle
from tests.fakes.moodle_quiz import MAX_QUESTIONS, MAX_RESPONSE_BYTES, MESSAGES, decide

PLUGIN = REPO / "moodle_plugin" / "local" / "bridge"

STUDENT = 5
CODE_1 = "def squares(n):\r\n    return [i * i for i in range(n)]\r\n"
CODE_2 = "print(sum(map(int, input().split())))\n"


@pytest.fixture
def quiz_moodle(fake_moodle: FakeMoodle) -> FakeMoodle:
    """Quiz 1 (cmid 2): linked essays in slots 1 and 2 (10 marks each), true/false in slot 3."""
    fake_moodle.add_quiz(1)
    return fake_moodle


@pytest.fixture
def moodle(quiz_moodle: FakeMoodle) -> Iterator[MoodleClient]:
    with MoodleClient(quiz_moodle.url, quiz_moodle.token, timeout=5) as client:
        yield client


def finished(fake: FakeMoodle) -> int:
    return fake.add_quiz_attempt(1, STUDENT, {1: CODE_1, 2: CODE_2, 3: "True"}).id


def responses(moodle: MoodleClient, attempt_id: int) -> dict[str, Any]:
    data = moodle.call("local_bridge_get_attempt_responses", {"attemptid": attempt_id})
    assert isinstance(data, dict)
    return data


def grade(moodle: MoodleClient, attempt_id: int, slot: int, mark: float, sequencecheck: int,
          comment: str = "<p>3 of 4 tests passed</p>") -> dict[str, Any]:
    return moodle.save_question_grade({
        "attemptid": attempt_id, "slot": slot, "mark": mark, "comment": comment,
        "commentformat": 1, "sequencecheck": sequencecheck})


def test_read_returns_linked_questions_as_plain_text(moodle: MoodleClient,
                                                     quiz_moodle: FakeMoodle) -> None:
    attempt_id = finished(quiz_moodle)
    data = responses(moodle, attempt_id)
    assert {k: data[k] for k in ("attemptid", "quizid", "cmid", "courseid", "userid", "attempt",
                                 "state", "sumgrades")} == {
        "attemptid": attempt_id, "quizid": 1, "cmid": 2, "courseid": 2, "userid": STUDENT,
        "attempt": 1, "state": "finished", "sumgrades": None}
    first, second = data["questions"]  # the true/false is not linked
    assert first == {
        "slot": 1, "questionid": 11, "questionbankentryid": 101, "qtype": "essay",
        "maxmark": 10.0, "response": CODE_1.replace("\r\n", "\n"), "responseformat": 2,
        "responsebytes": len(CODE_1) - 2, "truncated": False, "sequencecheck": 3,
        "state": "needsgrading", "mark": None, "gradedby": 0, "gradedat": 0, "gradedmark": None}
    assert (second["slot"], second["questionbankentryid"], second["response"]) == (2, 102, CODE_2)


def test_grade_recomputes_attempt_and_quiz_grade(moodle: MoodleClient,
                                                 quiz_moodle: FakeMoodle) -> None:
    attempt_id = finished(quiz_moodle)
    saved = grade(moodle, attempt_id, 1, 7.5, 3)
    assert saved == {"attemptid": attempt_id, "slot": 1, "state": "mangrpartial", "mark": 7.5,
                     "maxmark": 10.0, "sumgrades": None, "sequencecheck": 4, "changed": True,
                     "warnings": []}
    assert (1, STUDENT) not in quiz_moodle.quiz_site.grades, "slot 2 still needs grading"

    last = grade(moodle, attempt_id, 2, 10.0, 3, comment="<p>all tests passed</p>")
    assert (last["state"], last["sumgrades"]) == ("mangrright", 18.5)  # 7.5 + 10 + true/false 1
    assert quiz_moodle.quiz_site.grades[(1, STUDENT)] == pytest.approx(18.5 / 21 * 100)
    first = responses(moodle, attempt_id)["questions"][0]
    assert (first["state"], first["mark"], first["gradedby"], first["gradedmark"],
            first["sequencecheck"]) == ("mangrpartial", 7.5, FakeMoodle.BRIDGE_USER, 7.5, 4)


def test_repeat_of_own_grade_writes_nothing(moodle: MoodleClient,
                                            quiz_moodle: FakeMoodle) -> None:
    attempt_id = finished(quiz_moodle)
    grade(moodle, attempt_id, 1, 7.5, 3)
    # The first answer was lost: the outbox sends the same grade with the check it read.
    again = grade(moodle, attempt_id, 1, 7.5, 3)
    assert (again["changed"], again["sequencecheck"], again["mark"]) == (False, 4, 7.5)
    assert len(quiz_moodle.quiz_site.attempts[attempt_id].slots[1].steps) == 4


def test_stale_sequence_check_keeps_the_teachers_mark(moodle: MoodleClient,
                                                      quiz_moodle: FakeMoodle) -> None:
    attempt_id = finished(quiz_moodle)
    read = responses(moodle, attempt_id)["questions"][0]
    quiz_moodle.teacher_grades_question(attempt_id, 1, 9.0)
    with pytest.raises(MoodleWSException) as refused:
        grade(moodle, attempt_id, 1, 7.5, read["sequencecheck"])
    assert refused.value.errorcode == "questionchanged"
    assert refused.value.exception == "core\\exception\\moodle_exception"
    assert not refused.value.retryable
    now = responses(moodle, attempt_id)["questions"][0]
    assert (now["mark"], now["gradedby"], now["sequencecheck"]) == (
        9.0, FakeMoodle.TEACHER_USER, 4)


def test_bridge_regrade_after_its_own_grade(moodle: MoodleClient,
                                            quiz_moodle: FakeMoodle) -> None:
    attempt_id = finished(quiz_moodle)
    grade(moodle, attempt_id, 1, 7.5, 3)
    regraded = grade(moodle, attempt_id, 1, 10.0, 4, comment="<p>4 of 4 tests passed</p>")
    assert (regraded["changed"], regraded["mark"], regraded["sequencecheck"]) == (True, 10.0, 5)
    with pytest.raises(MoodleWSException, match="questionchanged"):
        grade(moodle, attempt_id, 1, 5.0, 4)


@pytest.mark.parametrize(("params", "errorcode"), [
    ({"slot": 1, "mark": 10.5, "sequencecheck": 3}, "markoutofrange"),
    ({"slot": 1, "mark": -1, "sequencecheck": 3}, "markoutofrange"),
    ({"slot": 9, "mark": 1, "sequencecheck": 3}, "invalidslot"),
    ({"slot": 1, "sequencecheck": 3}, "invalidparameter"),
    ({"slot": 1, "mark": "nan", "sequencecheck": 3}, "invalidparameter"),
    ({"slot": "1.5", "mark": 1}, "invalidparameter"),
])
def test_bad_grades_are_refused_and_change_nothing(moodle: MoodleClient, quiz_moodle: FakeMoodle,
                                                   params: dict[str, Any],
                                                   errorcode: str) -> None:
    attempt_id = finished(quiz_moodle)
    with pytest.raises(MoodleWSException) as refused:
        moodle.save_question_grade({"attemptid": attempt_id, **params})
    assert refused.value.errorcode == errorcode
    assert [qa.sequencecheck for qa in quiz_moodle.quiz_site.attempts[attempt_id].slots.values()
            ] == [3, 3, 3]


def test_out_of_range_message_names_the_maximum(moodle: MoodleClient,
                                                quiz_moodle: FakeMoodle) -> None:
    attempt_id = finished(quiz_moodle)
    with pytest.raises(MoodleWSException, match=r"maximum mark \(10\.00\)"):
        grade(moodle, attempt_id, 1, 11, 3)


@pytest.mark.parametrize("function", ["local_bridge_get_attempt_responses",
                                      "local_bridge_save_question_grade"])
def test_unfinished_preview_unknown_and_forbidden_attempts(moodle: MoodleClient,
                                                           quiz_moodle: FakeMoodle,
                                                           function: str) -> None:
    def errorcode(attempt_id: int) -> str | None:
        try:
            moodle.call(function, {"attemptid": attempt_id, "slot": 1, "mark": 1})
        except MoodleWSException as exc:
            return exc.errorcode
        return None

    in_progress = quiz_moodle.add_quiz_attempt(1, STUDENT, {1: CODE_1}, state="inprogress")
    preview = quiz_moodle.add_quiz_attempt(1, 2, {1: CODE_1}, preview=True)
    assert errorcode(in_progress.id) == "attemptnotfinished"
    # Moodle 5.0: submitted, its questions not finished by process_grade_submission() yet.
    not_graded = quiz_moodle.add_quiz_attempt(1, STUDENT, {1: CODE_1}, state="submitted")
    assert errorcode(not_graded.id) == "attemptnotfinished"
    assert errorcode(preview.id) == "attemptnotfinished"
    assert errorcode(999) == "invalidrecord"
    attempt_id = finished(quiz_moodle)
    quiz_moodle.quiz_site.denied.add(2)
    assert errorcode(attempt_id) == "nopermissions"


def test_links_follow_the_bank_entry_when_questions_move(moodle: MoodleClient,
                                                         quiz_moodle: FakeMoodle) -> None:
    finished(quiz_moodle)
    quiz_moodle.quiz_site.reorder(1, [103, 102, 101])  # the true/false now comes first
    second = quiz_moodle.add_quiz_attempt(1, STUDENT, {1: "True", 2: CODE_2, 3: CODE_1})
    questions = responses(moodle, second.id)["questions"]
    assert [(q["slot"], q["questionbankentryid"]) for q in questions] == [(2, 102), (3, 101)]
    assert questions[1]["response"] == CODE_1.replace("\r\n", "\n")
    assert responses(moodle, second.id)["attempt"] == 2


def test_editor_and_oversized_responses(moodle: MoodleClient, quiz_moodle: FakeMoodle) -> None:
    html = quiz_moodle.add_quiz_attempt(1, STUDENT, {1: "<p>print(1)</p>", 2: "x"},
                                        answerformat=1)
    first = responses(moodle, html.id)["questions"][0]
    assert (first["response"], first["responseformat"]) == ("print(1)", 1)
    big = "é" * MAX_RESPONSE_BYTES
    large = quiz_moodle.add_quiz_attempt(1, STUDENT, {1: big, 2: "x"})
    cut = responses(moodle, large.id)["questions"][0]
    assert (cut["truncated"], cut["responsebytes"]) == (True, 2 * MAX_RESPONSE_BYTES)
    assert len(cut["response"].encode()) == MAX_RESPONSE_BYTES


def test_quiz_notification_body_matches_the_plugin(quiz_moodle: FakeMoodle) -> None:
    attempt = quiz_moodle.add_quiz_attempt(1, STUDENT, {1: CODE_1, 2: CODE_2})
    body = json.loads(quiz_moodle.quiz_notification_body(attempt))
    event_id = hashlib.sha256(f"{quiz_moodle.site}|{QUIZ_EVENT}|2|{attempt.id}|"
                              f"{attempt.timefinish}".encode()).hexdigest()
    assert body == {"schema": 1, "site": quiz_moodle.site, "event_id": event_id,
                    "kind": "quiz_attempt", "course_id": 2, "cmid": 2, "instance_id": 1,
                    "item_id": attempt.id, "user_id": STUDENT, "attempt_number": 1,
                    "submitted_at": attempt.timefinish, "event": QUIZ_EVENT}
    upload = json.loads(quiz_moodle.quiz_exercise_body(1, 102, "language: python\n"))
    assert list(upload) == ["schema", "site", "course_id", "cmid", "kind", "instance_id",
                            "question", "exercise_yaml"]
    assert upload["question"] == {"question_bank_entry_id": 102, "question_id": 12,
                                  "idnumber": None, "name": "Question 12"}


def php_keys(function: str, part: str) -> set[str]:
    """The keys a plugin function declares in execute_parameters or execute_returns."""
    text = (PLUGIN / "classes" / "external" / f"{function}.php").read_text()
    section = text[text.index(f"function {part}"):]
    section = section[:section.index("\n    }\n")]
    return set(re.findall(r"'(\w+)' => new external_\w+", section))


def test_stand_in_answers_with_the_plugins_declared_keys(moodle: MoodleClient,
                                                         quiz_moodle: FakeMoodle) -> None:
    attempt_id = finished(quiz_moodle)
    data = responses(moodle, attempt_id)
    assert set(data) | set(data["questions"][0]) == \
        php_keys("get_attempt_responses", "execute_returns")
    assert set(grade(moodle, attempt_id, 1, 5, 3)) == php_keys("save_question_grade",
                                                                "execute_returns")
    assert php_keys("save_question_grade", "execute_parameters") == {
        "attemptid", "slot", "mark", "comment", "commentformat", "sequencecheck"}
    assert php_keys("get_attempt_responses", "execute_parameters") == {"attemptid"}


def test_stand_in_errors_carry_the_plugins_strings() -> None:
    lang = (PLUGIN / "lang" / "en" / "local_bridge.php").read_text()
    strings = {k: v.replace("\\'", "'") for k, v in
               re.findall(r"^\$string\['(\w+)'\] = '((?:[^'\\]|\\.)*)';$", lang, re.M)}
    for code, message in MESSAGES.items():
        assert re.sub(r"\{\$a\}", "{}", strings[code]) == message, code
    limits = (PLUGIN / "classes" / "external" / "get_attempt_responses.php").read_text()
    assert f"MAX_QUESTIONS = {MAX_QUESTIONS};" in limits
    assert f"MAX_BYTES = {MAX_RESPONSE_BYTES};" in (PLUGIN / "classes" / "quiz_response.php"
                                                    ).read_text()


SHARED_CASES = json.loads((PLUGIN / "tests" / "fixtures" / "question_grading_cases.json"
                           ).read_text())["cases"]


@pytest.mark.parametrize("case", SHARED_CASES, ids=[c["name"] for c in SHARED_CASES])
def test_stand_in_decides_as_the_plugin(case: dict[str, Any]) -> None:
    # The same cases question_grading_test.php runs against question_grading::decide().
    assert decide(case["steps"], case["current"], case["expected"], case["mark"],
                  case["maxmark"], case["comment"], case["commentformat"],
                  case["userid"]) == case["decision"]
