"""Quizzes of the Moodle stand-in, and local_bridge's two quiz functions exactly as documented.

A quiz has questions (question id, question bank entry id, type, maximum mark) of which some are
linked to exercises by bank entry, as local_bridge_question keys them. An attempt holds one
question attempt per slot with its step history, the question engine's way: start (`todo`),
save (`complete`), finish (`needsgrading` for an essay, graded for the others), then one step per
manual grade. `local_bridge_get_attempt_responses`, `local_bridge_save_question_grade` and
`local_bridge_get_finished_attempts` follow moodle_plugin/local/bridge/classes/external/ and
question_grading.php, error shapes included.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MODULE_EXCEPTION = "core\\exception\\moodle_exception"
FRACTION_TOLERANCE = 1e-7
MAX_RESPONSE_BYTES = 262144
MAX_QUESTIONS = 100
MAX_FINISHED_ATTEMPTS = 500  # local_bridge\finished_attempts::MAX_ATTEMPTS
FORMAT_MOODLE, FORMAT_HTML, FORMAT_PLAIN = 0, 1, 2
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")
# local_bridge's lang strings, as the exceptions' messages carry them.
MESSAGES = {
    "attemptnotfinished": "The bridge reads and grades only finished quiz attempts (not previews).",
    "invalidslot": "This attempt has no question in that slot.",
    "markoutofrange": "The mark must be between the question's minimum and its maximum mark ({}).",
    "questionchanged": "The question has changed since the bridge read it (for example, a teacher "
                       "graded it by hand); the grade was not saved.",
    "toomanyquestions": "More than {} questions of this attempt are linked to exercises.",
}


def plugin_error(errorcode: str, *args: object) -> dict[str, str]:
    """A local_bridge moodle_exception as the REST server returns it (HTTP 200)."""
    return {"exception": MODULE_EXCEPTION, "errorcode": errorcode,
            "message": MESSAGES[errorcode].format(*args)}


def missing_record(table: str) -> dict[str, str]:
    """What quiz_attempt::create() throws for an unknown id (dml_missing_record_exception)."""
    return {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
            "message": f"Can't find data record in database table {table}."}


def no_capability(name: str) -> dict[str, str]:
    """require_capability() failing, e.g. mod/quiz:grade ("Grade quizzes manually")."""
    return {"exception": "core\\exception\\required_capability_exception",
            "errorcode": "nopermissions",
            "message": f"Sorry, but you do not currently have permissions to do that ({name})."}


@dataclass
class FakeQuizQuestion:
    question_id: int
    bank_entry_id: int
    qtype: str = "essay"
    maxmark: float = 10.0
    linked: bool = True


@dataclass
class FakeStep:
    userid: int
    state: str
    timecreated: int = field(default_factory=lambda: int(time.time()))
    comment: str | None = None
    commentformat: int | None = None
    mark: float | None = None
    maxmark: float | None = None

    def fraction(self) -> float | None:
        if self.mark is None or not self.maxmark:
            return None
        return self.mark / self.maxmark


@dataclass
class FakeQuestionAttempt:
    slot: int
    question: FakeQuizQuestion
    answer: str | None
    answerformat: int
    steps: list[FakeStep]

    @property
    def sequencecheck(self) -> int:
        return len(self.steps)

    @property
    def state(self) -> str:
        return self.steps[-1].state

    def fraction(self) -> float | None:
        for step in reversed(self.steps):
            if step.state not in ("todo", "complete", "needsgrading"):
                return step.fraction()
        return None

    def mark(self) -> float | None:
        fraction = self.fraction()
        return None if fraction is None else fraction * self.question.maxmark

    def last_manual(self) -> FakeStep | None:
        return next((s for s in reversed(self.steps) if s.comment is not None), None)


@dataclass
class FakeQuizAttempt:
    id: int
    quiz_id: int
    user_id: int
    attempt: int
    state: str
    timefinish: int
    slots: dict[int, FakeQuestionAttempt]
    preview: bool = False

    def sumgrades(self) -> float | None:
        """question_usage_by_activity::get_total_mark(): null while a question needs grading."""
        if any(qa.state == "needsgrading" and qa.question.maxmark > 0
               for qa in self.slots.values()):
            return None
        return sum(qa.mark() or 0.0 for qa in self.slots.values())


def plain_text(answer: str | None, answerformat: int) -> tuple[str, int, bool]:
    """quiz_response::from_stored(): plain text, its full size, whether it was cut."""
    text = answer or ""
    if answerformat in (FORMAT_HTML, FORMAT_MOODLE):
        text = re.sub(r"<[^>]+>", "", text)  # html_to_text() on a real site
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw = text.encode()
    if len(raw) <= MAX_RESPONSE_BYTES:
        return text, len(raw), False
    return raw[:MAX_RESPONSE_BYTES].decode(errors="ignore"), len(raw), True


def manual_state(fraction: float | None) -> str:
    """question_state::manually_graded_state_for_fraction()."""
    if fraction is None:
        return "needsgrading"
    if fraction > 1 - 1e-6:
        return "mangrright"
    if fraction < FRACTION_TOLERANCE:
        return "mangrwrong"
    return "mangrpartial"


def step_fraction(step: dict[str, Any]) -> float | None:
    """The fraction a manual-grade step (as question_grading::steps_of() builds it) gave."""
    mark, maxmark = step.get("mark"), float(step.get("maxmark") or 0)
    if mark is None or not _FLOAT.fullmatch(str(mark)) or maxmark <= 0:
        return None
    return float(mark) / maxmark


def decide(steps: list[dict[str, Any]], current: int, expected: int, mark: float,
           maxmark: float, comment: str, commentformat: int, userid: int) -> str:
    """question_grading::decide(): "unchanged" for a repeat of the caller's own last grade,
    "stale" for an old sequence check, else "save"."""
    last = steps[-1] if steps else None
    if last is not None and last["comment"] is not None and last["userid"] == userid \
            and last["comment"] == comment and int(last["commentformat"] or 0) == commentformat \
            and (fraction := step_fraction(last)) is not None and maxmark > 0 \
            and abs(fraction - mark / maxmark) < FRACTION_TOLERANCE:
        return "unchanged"
    if expected >= 0 and expected != current:
        return "stale"
    return "save"


def steps_of(qa: FakeQuestionAttempt) -> list[dict[str, Any]]:
    """A question attempt's steps as the plugin reads them (behaviour variables as strings)."""
    def text(value: object) -> str | None:
        if value is None:
            return None
        return format(value, "g") if isinstance(value, float) else str(value)

    return [{"userid": s.userid, "timecreated": s.timecreated, "state": s.state,
             "comment": s.comment, "commentformat": text(s.commentformat),
             "mark": text(s.mark) if s.comment is not None else None,
             "maxmark": text(s.maxmark) if s.comment is not None else None} for s in qa.steps]


def int_param(params: dict[str, Any], name: str, default: int | None = None) -> int:
    """PARAM_INT as validate_parameters() reads it; ValueError becomes invalidparameter."""
    raw = params.get(name)
    if raw is None:
        if default is None:
            raise KeyError(name)
        return default
    if not isinstance(raw, str) or not _INT.fullmatch(raw):
        raise ValueError(name)
    return int(raw)


def float_param(params: dict[str, Any], name: str) -> float:
    """PARAM_FLOAT: a decimal number, no NaN or infinity."""
    raw = params[name]
    if not isinstance(raw, str) or not _FLOAT.fullmatch(raw):
        raise ValueError(name)
    return float(raw)


class QuizSite:
    """The quiz side of the stand-in: quizzes, attempts, manual grades and the gradebook."""

    def __init__(self) -> None:
        self.quizzes: dict[int, dict[str, Any]] = {}
        self.attempts: dict[int, FakeQuizAttempt] = {}
        self.grades: dict[tuple[int, int], float] = {}  # (quiz id, user id) -> gradebook grade
        self.denied: set[int] = set()  # quiz cmids where the caller lacks mod/quiz:grade
        # Run once each, right after the next get_attempt_responses answer is built: someone
        # acting on a question between the bridge's read and its save.
        self.after_read: list[Callable[[], None]] = []
        self._next_attempt = 1

    # -- state a test sets up ----------------------------------------------------------------

    def add_quiz(self, quiz_id: int, *, cmid: int, course: int, grade: float,
                 questions: list[FakeQuizQuestion], name: str, timeclose: int = 0
                 ) -> dict[str, Any]:
        quiz = {"id": quiz_id, "cmid": cmid, "course": course, "grade": grade, "name": name,
                "questions": list(questions), "timeclose": timeclose,
                "overrides": {}}  # user id -> that user's close date (a user override)
        self.quizzes[quiz_id] = quiz
        return quiz

    def reorder(self, quiz_id: int, bank_entry_ids: list[int]) -> None:
        """A teacher moves questions: slots change, bank entries do not."""
        by_entry = {q.bank_entry_id: q for q in self.quizzes[quiz_id]["questions"]}
        self.quizzes[quiz_id]["questions"] = [by_entry[e] for e in bank_entry_ids]

    def add_attempt(self, quiz_id: int, user_id: int, answers: dict[int, str], *,
                    answerformat: int, state: str, preview: bool) -> FakeQuizAttempt:
        """A student's attempt; `answers` by slot. Finished essays wait in `needsgrading`."""
        now = int(time.time())
        number = 1 + sum(1 for a in self.attempts.values()
                         if a.quiz_id == quiz_id and a.user_id == user_id)
        slots = {}
        for slot, question in enumerate(self.quizzes[quiz_id]["questions"], start=1):
            answer = answers.get(slot)
            steps = [FakeStep(user_id, "todo", now)]
            if answer is not None:
                steps.append(FakeStep(user_id, "complete", now))
            if state == "finished":
                steps.append(self._finish_step(question, answer, user_id, now))
            slots[slot] = FakeQuestionAttempt(slot, question, answer, answerformat, steps)
        attempt = FakeQuizAttempt(self._next_attempt, quiz_id, user_id, number, state,
                                  now if state == "finished" else 0, slots, preview)
        self._next_attempt += 1
        self.attempts[attempt.id] = attempt
        if state == "finished" and not preview:
            self._recompute_grade(quiz_id, user_id)
        return attempt

    def finish(self, attempt_id: int) -> FakeQuizAttempt:
        """An attempt in progress is submitted: its questions are finished, as add_attempt does."""
        attempt = self.attempts[attempt_id]
        now = int(time.time())
        for qa in attempt.slots.values():
            qa.steps.append(self._finish_step(qa.question, qa.answer, attempt.user_id, now))
        attempt.state, attempt.timefinish = "finished", now
        if not attempt.preview:
            self._recompute_grade(attempt.quiz_id, attempt.user_id)
        return attempt

    def engine_step(self, attempt_id: int, slot: int) -> None:
        """A step that is nobody's manual grade (Moodle regrading the attempt): state kept."""
        qa = self.attempts[attempt_id].slots[slot]
        last = qa.steps[-1]
        qa.steps.append(FakeStep(0, last.state, mark=last.mark, maxmark=last.maxmark))

    def change_response(self, attempt_id: int, slot: int, answer: str) -> None:
        """The stored response differs from what was read (a question regrade with new data)."""
        self.attempts[attempt_id].slots[slot].answer = answer

    def timeclose_for(self, quiz_id: int, user_id: int) -> int:
        """quiz_update_effective_access(): the user's override, else the quiz's close date."""
        quiz = self.quizzes[quiz_id]
        return int(quiz["overrides"].get(user_id, quiz["timeclose"]))

    def summary(self, attempt_id: int) -> dict[str, Any]:
        """What a teacher sees of an attempt: each slot's state, mark, comment and step count."""
        attempt = self.attempts[attempt_id]
        return {
            "id": attempt.id, "quiz_id": attempt.quiz_id, "user_id": attempt.user_id,
            "attempt": attempt.attempt, "state": attempt.state,
            "sumgrades": attempt.sumgrades(),
            "grade": self.grades.get((attempt.quiz_id, attempt.user_id)),
            "slots": {str(slot): {
                "bank_entry_id": qa.question.bank_entry_id, "state": qa.state,
                "mark": qa.mark(), "steps": qa.sequencecheck,
                "comment": (manual.comment if (manual := qa.last_manual()) else None),
                "graded_by": manual.userid if manual else 0,
            } for slot, qa in attempt.slots.items()},
        }

    @staticmethod
    def _finish_step(question: FakeQuizQuestion, answer: str | None, user_id: int,
                     now: int) -> FakeStep:
        if question.qtype == "essay":
            return FakeStep(user_id, "needsgrading" if answer else "gaveup", now)
        # An automatically graded question (true/false): "True" is the right answer here.
        right = (answer or "").strip().lower() == "true"
        return FakeStep(user_id, "gradedright" if right else "gradedwrong", now,
                        mark=question.maxmark if right else 0.0, maxmark=question.maxmark)

    def manual_grade(self, attempt: FakeQuizAttempt, slot: int, mark: float, comment: str,
                     commentformat: int, userid: int) -> bool:
        """question_attempt::manual_grade(); False when the engine discards an equal grade."""
        qa = attempt.slots[slot]
        last = qa.last_manual()
        fraction = mark / qa.question.maxmark
        current = qa.fraction()
        if last is not None and last.comment == comment and last.commentformat == commentformat \
                and current is not None and abs(current - fraction) < FRACTION_TOLERANCE:
            return False
        qa.steps.append(FakeStep(userid, manual_state(fraction), comment=comment,
                                 commentformat=commentformat, mark=mark,
                                 maxmark=qa.question.maxmark))
        self._recompute_grade(attempt.quiz_id, attempt.user_id)
        return True

    def _recompute_grade(self, quiz_id: int, user_id: int) -> None:
        """grade_calculator::recompute_final_grade() with "highest grade" and the gradebook."""
        quiz = self.quizzes[quiz_id]
        total = sum(q.maxmark for q in quiz["questions"])
        sums = [s for a in self.attempts.values()
                if a.quiz_id == quiz_id and a.user_id == user_id and a.state == "finished"
                and not a.preview and (s := a.sumgrades()) is not None]
        if sums and total > 0:
            self.grades[(quiz_id, user_id)] = max(sums) / total * quiz["grade"]
        else:
            self.grades.pop((quiz_id, user_id), None)

    # -- local_bridge's web-service functions ------------------------------------------------

    def _attempt_for(self, params: dict[str, Any]) -> FakeQuizAttempt | dict[str, str]:
        attempt = self.attempts.get(int_param(params, "attemptid"))
        if attempt is None:
            return missing_record("quiz_attempts")
        if self.quizzes[attempt.quiz_id]["cmid"] in self.denied:
            return no_capability("Grade quizzes manually")
        if attempt.state != "finished" or attempt.preview:
            return plugin_error("attemptnotfinished")
        return attempt

    def get_attempt_responses(self, params: dict[str, Any]) -> Any:
        """local_bridge_get_attempt_responses(attemptid)."""
        attempt = self._attempt_for(params)
        if isinstance(attempt, dict):
            return attempt
        quiz = self.quizzes[attempt.quiz_id]
        linked = [qa for qa in attempt.slots.values() if qa.question.linked]
        if len(linked) > MAX_QUESTIONS:
            return plugin_error("toomanyquestions", MAX_QUESTIONS)
        questions = []
        for qa in linked:
            text, size, truncated = plain_text(qa.answer, qa.answerformat)
            manual = qa.last_manual()
            manual_fraction = manual.fraction() if manual else None
            questions.append({
                "slot": qa.slot, "questionid": qa.question.question_id,
                "questionbankentryid": qa.question.bank_entry_id, "qtype": qa.question.qtype,
                "maxmark": qa.question.maxmark, "response": text,
                "responseformat": qa.answerformat, "responsebytes": size, "truncated": truncated,
                "sequencecheck": qa.sequencecheck, "state": qa.state, "mark": qa.mark(),
                "gradedby": manual.userid if manual else 0,
                "gradedat": manual.timecreated if manual else 0,
                "gradedmark": None if manual_fraction is None
                else manual_fraction * qa.question.maxmark,
            })
        answer = {"attemptid": attempt.id, "quizid": attempt.quiz_id, "cmid": quiz["cmid"],
                  "courseid": quiz["course"], "userid": attempt.user_id,
                  "attempt": attempt.attempt, "state": attempt.state,
                  "timefinish": attempt.timefinish,
                  "timeclose": self.timeclose_for(attempt.quiz_id, attempt.user_id),
                  "sumgrades": attempt.sumgrades(), "questions": questions, "warnings": []}
        while self.after_read:
            self.after_read.pop(0)()
        return answer

    def get_finished_attempts(self, params: dict[str, Any]) -> Any:
        """local_bridge_get_finished_attempts(cmid, since=0, afterid=0): finished attempts
        (no previews) by (timefinish, id), from `since` on, past `afterid` at exactly `since`;
        at most MAX_FINISHED_ATTEMPTS, `hasmore` when there are others."""
        cmid = int_param(params, "cmid")
        since = int_param(params, "since", 0)
        after_id = int_param(params, "afterid", 0)
        quiz = next((q for q in self.quizzes.values() if q["cmid"] == cmid), None)
        if quiz is None:
            return missing_record("course_modules")
        if cmid in self.denied:
            return no_capability("Grade quizzes manually")
        found = sorted((a for a in self.attempts.values()
                        if a.quiz_id == quiz["id"] and a.state == "finished" and not a.preview
                        and (a.timefinish > since
                             or (a.timefinish == since and a.id > after_id))),
                       key=lambda a: (a.timefinish, a.id))
        page = found[:MAX_FINISHED_ATTEMPTS]
        return {"cmid": cmid, "quizid": quiz["id"], "courseid": quiz["course"],
                "attempts": [{"attemptid": a.id, "userid": a.user_id, "attempt": a.attempt,
                              "timefinish": a.timefinish} for a in page],
                "hasmore": len(found) > len(page), "warnings": []}

    def save_question_grade(self, params: dict[str, Any], caller: int) -> Any:
        """local_bridge_save_question_grade(attemptid, slot, mark, comment, commentformat,
        sequencecheck)."""
        slot = int_param(params, "slot")
        mark = float_param(params, "mark")
        comment = str(params.get("comment", ""))
        commentformat = int_param(params, "commentformat", FORMAT_HTML)
        expected = int_param(params, "sequencecheck", -1)
        attempt = self._attempt_for(params)
        if isinstance(attempt, dict):
            return attempt
        if slot not in attempt.slots:
            return plugin_error("invalidslot")
        qa = attempt.slots[slot]
        maxmark = qa.question.maxmark
        if maxmark <= 0 or not -FRACTION_TOLERANCE <= mark / maxmark <= 1 + FRACTION_TOLERANCE:
            return plugin_error("markoutofrange", f"{maxmark:.2f}")
        decision = decide(steps_of(qa), qa.sequencecheck, expected, mark, maxmark, comment,
                          commentformat, caller)
        if decision == "stale":
            return plugin_error("questionchanged")
        changed = decision == "save" and self.manual_grade(attempt, slot, mark, comment,
                                                           commentformat, caller)
        return {"attemptid": attempt.id, "slot": slot, "state": qa.state,
                "mark": qa.mark() or 0.0, "maxmark": maxmark, "sumgrades": attempt.sumgrades(),
                "sequencecheck": qa.sequencecheck, "changed": changed, "warnings": []}


# Exercises the default quiz's two essays (bank entries 101 and 102) are linked to in tests.
SQUARES_EXERCISE = """\
language: python
entrypoint: squares.py
tests:
  - name: three squares
    stdin: "3\\n"
    expected_stdout: "0 1 4\\n"
  - name: five squares
    stdin: "5\\n"
    expected_stdout: "0 1 4 9 16\\n"
    visibility: hidden
"""
TOTAL_EXERCISE = """\
language: python
entrypoint: total.py
tests:
  - name: adds two numbers
    stdin: "1 2\\n"
    expected_stdout: "3\\n"
  - name: adds three numbers
    stdin: "4 5 6\\n"
    expected_stdout: "15\\n"
    visibility: hidden
"""
GOOD_SQUARES = "n = int(input())\nprint(*[i * i for i in range(n)])\n"
CONSTANT_SQUARES = "print('0 1 4')\n"  # passes the visible test only
GOOD_TOTAL = "print(sum(map(int, input().split())))\n"
QUESTION_EXERCISES = {101: SQUARES_EXERCISE, 102: TOTAL_EXERCISE}
