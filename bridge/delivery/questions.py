"""Delivering a quiz question's mark: local_bridge_save_question_grade, never over a teacher.

Each try reads the question first (local_bridge_get_attempt_responses): the step history says
who marked it last by hand, so a teacher's mark, before or after ours, is kept
(`teacher_override`); a response that is not the one graded is parked. The grade is then saved
with the sequence check just read; its comment shows the tests visible after the due date once
the quiz has closed for the student (the read's `timeclose`). Refused as stale
(`questionchanged`: someone acted between the read and the save), it reads again and decides
again, once; the plugin answers a repeat of our own last grade with `changed: false`, which is
a delivery like any other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bridge.delivery.feedback import render_feedback
from bridge.delivery.models import DeliveryState
from bridge.intake.models import IntakeItem
from bridge.intake.quiz import response_digest
from bridge.moodle import MoodleClient, MoodleRetryableError, QuestionChanged
from bridge.moodle.errors import MoodleResponseError
from bridge.moodle.schemas import AttemptQuestion, AttemptResponses
from grader import GradingResult

STALE_RETRIES = 1  # re-reads after a stale sequence check within one try


@dataclass(frozen=True)
class QuestionPush:
    """What one delivery try of a question sends, read in a transaction and used outside it."""

    site: str
    attempt_id: int
    bank_entry_id: int
    slot: int
    response_sha256: str | None
    result: GradingResult
    attempts: int


@dataclass(frozen=True)
class Decision:
    """What a delivery try settled on: a state (with the mark it would have pushed, out of the
    question's maximum) and why."""

    state: DeliveryState
    grade: float | None = None
    max_grade: float | None = None
    error: str | None = None


def question_push(item: IntakeItem, result: GradingResult, attempts: int) -> QuestionPush:
    """The push of one question item's graded result."""
    assert item.slot is not None
    return QuestionPush(site=item.site, attempt_id=item.item_id,
                        bank_entry_id=item.question_bank_entry_id, slot=item.slot,
                        response_sha256=item.response_sha256, result=result, attempts=attempts)


def scale_mark(score: float, max_score: float, max_mark: float) -> float:
    """A score as a mark out of the question's maximum, to two decimals, never above it."""
    if max_score <= 0 or max_mark <= 0:
        return 0.0
    return min(round(min(max(score / max_score, 0.0), 1.0) * max_mark, 2), max_mark)


def push_question(moodle: MoodleClient, job: QuestionPush) -> Decision:
    """Read the question, decide, save the mark; MoodleError for what the outbox retries."""
    bridge_user = moodle.get_site_user_id()
    for tried in range(STALE_RETRIES + 1):
        attempt, question = read_question(moodle, job)
        mark = scale_mark(job.result.score, job.result.max_score, question.maxmark)
        kept = keep_as_is(question, job, bridge_user, mark)
        if kept is not None:
            return kept
        # As for assignments: tests shown only after the due date are shown once the quiz
        # (for this student, overrides included) has closed.
        comment = render_feedback(job.result, after_due_date=after_close(attempt.timeclose))
        try:
            moodle.grade_question(attempt_id=job.attempt_id, slot=question.slot, mark=mark,
                                  comment_html=comment, sequence_check=question.sequencecheck)
        except QuestionChanged as exc:
            if tried < STALE_RETRIES:
                continue  # read again: a teacher's mark is kept, anything else retried now
            raise MoodleRetryableError(f"the question kept changing while it was graded: "
                                       f"{exc}") from None
        return Decision(DeliveryState.DELIVERED, grade=mark, max_grade=question.maxmark)
    raise AssertionError("unreachable")


def after_close(timeclose: int, now: float | None = None) -> bool:
    """Whether the quiz has closed (0: it never closes, so never)."""
    return bool(timeclose) and (time.time() if now is None else now) > timeclose


def read_question(moodle: MoodleClient, job: QuestionPush
                  ) -> tuple[AttemptResponses, AttemptQuestion]:
    """The attempt and the question as Moodle holds them now; an error if Moodle no longer
    returns the question."""
    attempt = moodle.get_attempt_responses(job.attempt_id)
    question = attempt.question(job.bank_entry_id)
    if question is None:
        raise MoodleResponseError(
            f"attempt {job.attempt_id} no longer returns question bank entry "
            f"{job.bank_entry_id} (slot {job.slot}): it was unlinked in Moodle",
            function="local_bridge_get_attempt_responses")
    return attempt, question


def keep_as_is(question: AttemptQuestion, job: QuestionPush, bridge_user: int,
               mark: float) -> Decision | None:
    """Why the question must not get our mark (a teacher's own, another response), or None."""
    if question.gradedby not in (0, bridge_user):
        shown = "no mark" if question.gradedmark is None else f"{question.gradedmark:g}"
        return Decision(DeliveryState.TEACHER_OVERRIDE, grade=mark, max_grade=question.maxmark,
                        error=f"user {question.gradedby} marked slot {question.slot} by hand "
                              f"({shown} of {question.maxmark:g}); their mark stays")
    if job.response_sha256 is not None \
            and response_digest(question.response) != job.response_sha256:
        return Decision(DeliveryState.PARKED, grade=mark, max_grade=question.maxmark,
                        error=f"the response in slot {question.slot} is not the one graded; "
                              "regrade the question or mark it by hand")
    return None
