"""Quiz attempts: one gradable item per linked question, read through the plugin's function.

The attempt's own item records the notification. Fetching it reads the attempt's linked
questions (local_bridge_get_attempt_responses), and, in one transaction, makes an item per
question that the bridge also links: the response text is the exercise's entrypoint file.
Questions without an enabled link in the bridge are left to the teacher. Question items are
unique per (site, attempt, question bank entry), so fetching again makes nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bridge.config import get_settings
from bridge.db import session_scope
from bridge.exercises import service as exercises
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.intake.repository import IntakeRepository
from bridge.moodle import MoodleClient, MoodleError, client_for_site
from bridge.moodle.errors import MoodleResponseError
from bridge.moodle.schemas import AttemptQuestion, AttemptResponses
from bridge.submissions import service as submissions
from grader import SubmissionRejected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttemptRef:
    """What a fetch needs to know about an attempt's item, read before leaving the transaction."""

    site: str
    cmid: int
    attempt_id: int
    attempt_number: int
    user_id: int
    submitted_at: int


def response_digest(text: str) -> str:
    """The hash a question item keeps of the response it graded (to notice a change)."""
    return hashlib.sha256(text.encode()).hexdigest()


def fetch_attempt(item_id: uuid.UUID, *, factory: sessionmaker[Session] | None = None,
                  client: MoodleClient | None = None) -> IntakeStatus:
    """Read a quiz attempt's linked responses and make its question items; idempotent.

    Retryable Moodle errors propagate (the task retries: `attemptnotfinished` right after the
    notification is one); permanent ones mark the attempt failed.
    """
    with session_scope(factory) as session:
        repo = IntakeRepository(session)
        item = repo.get(item_id)
        if item is None:
            raise LookupError(item_id)
        if item.status is not IntakeStatus.RECEIVED:
            return item.status
        if not repo.question_links(item.site, item.cmid, enabled_only=True):
            item.status = IntakeStatus.NO_EXERCISE
            item.error = "no question of this quiz is linked to an exercise"
            return item.status
        ref = AttemptRef(item.site, item.cmid, item.item_id, item.attempt_number, item.user_id,
                         item.submitted_at)

    own_client = client is None
    moodle = client or client_for_site(ref.site)
    responses, error = None, None
    try:
        read = moodle.get_attempt_responses(ref.attempt_id)
        check_identity(read, ref)
        responses = read
    except MoodleError as exc:
        if exc.retryable:
            raise
        error = str(exc)
    finally:
        if own_client:
            moodle.close()

    with session_scope(factory) as session:
        repo = IntakeRepository(session)
        item = repo.get_for_update(item_id)
        if item is None or item.status is not IntakeStatus.RECEIVED \
                or item.submitted_at != ref.submitted_at:
            return item.status if item else IntakeStatus.FAILED  # someone else moved it on
        if responses is None:
            item.status, item.error = IntakeStatus.FAILED, error
        elif take_questions(session, item, responses.questions):
            item.status, item.error = IntakeStatus.FETCHED, None
        else:
            item.status = IntakeStatus.NO_EXERCISE
            item.error = "none of the attempt's questions is linked to an exercise in the bridge"
        log.info("quiz attempt %s (%s attempt %s) %s", item.id, item.site, ref.attempt_id,
                 item.status)
        return item.status


def check_identity(responses: AttemptResponses, ref: AttemptRef) -> None:
    """The attempt Moodle answered about is the one notified (user, quiz, number, finished)."""
    expected = {"userid": ref.user_id, "cmid": ref.cmid, "attempt": ref.attempt_number,
                "state": "finished"}
    for name, value in expected.items():
        found = getattr(responses, name)
        if found != value:
            raise MoodleResponseError(
                f"attempt {ref.attempt_id}: {name} is {found!r}, the notification said {value!r}",
                function="local_bridge_get_attempt_responses")


def take_questions(session: Session, attempt: IntakeItem,
                   questions: list[AttemptQuestion]) -> int:
    """Make the attempt's question items (those linked here); how many it has in all."""
    repo = IntakeRepository(session)
    links = {link.question_bank_entry_id: link
             for link in repo.question_links(attempt.site, attempt.cmid, enabled_only=True)}
    have = {child.question_bank_entry_id for child in repo.question_items(attempt.id)}
    for question in questions:
        link = links.get(question.questionbankentryid)
        if link is None:
            log.info("attempt %s slot %s (question bank entry %s) is not linked here: left to "
                     "the teacher", attempt.item_id, question.slot, question.questionbankentryid)
            continue
        if question.questionbankentryid in have:
            continue  # made by an earlier fetch of this attempt
        child = IntakeItem(
            site=attempt.site, kind=ItemKind.QUIZ_QUESTION, source=attempt.source,
            course_id=attempt.course_id, cmid=attempt.cmid, instance_id=attempt.instance_id,
            item_id=attempt.item_id, user_id=attempt.user_id,
            attempt_number=attempt.attempt_number, submitted_at=attempt.submitted_at,
            question_bank_entry_id=question.questionbankentryid, attempt_item_id=attempt.id,
            slot=question.slot, question_id=question.questionid,
            sequence_check=question.sequencecheck, max_mark=question.maxmark,
            response_sha256=response_digest(question.response), status=IntakeStatus.FETCHED)
        if not repo.insert_unique(child):
            continue  # a concurrent fetch made it
        have.add(question.questionbankentryid)
        refused = refusal(question)
        if refused is None:
            version = pinned_version(session, link.exercise_id, attempt.submitted_at)
            try:
                submission = submissions.create(
                    session, exercise_id=link.exercise_id, version=version,
                    files=response_files(session, link.exercise_id, version, question))
            except SubmissionRejected as exc:
                refused = str(exc)
            else:
                child.submission_id = submission.id
        if refused is not None:
            child.status, child.error = IntakeStatus.REJECTED, refused
    session.flush()
    return len(have)


def refusal(question: AttemptQuestion) -> str | None:
    """Why a response cannot be graded, or None."""
    limit = get_settings().max_submission_bytes
    if question.truncated:
        return (f"the response is {question.responsebytes} bytes, more than Moodle sends "
                f"({len(question.response.encode())}): too large to grade")
    if question.responsebytes > limit:
        return f"the response is {question.responsebytes} bytes; at most {limit} are graded"
    if not question.response.strip():
        return "the question has no response"
    if question.maxmark <= 0:
        return "the question is worth no marks in this quiz"
    return None


def pinned_version(session: Session, exercise_id: uuid.UUID, submitted_at: int) -> int:
    """The exercise version current when the attempt was finished (as for assignments: Moodle's
    time in whole seconds, so the end of that second), even if the teacher saved a newer one."""
    return exercises.version_at(session, exercise_id=exercise_id,
                                at=datetime.fromtimestamp(submitted_at + 1, UTC)).number


def response_files(session: Session, exercise_id: uuid.UUID, version: int,
                   question: AttemptQuestion) -> dict[str, bytes]:
    """The response as the exercise's entrypoint file (the program the student wrote)."""
    found = exercises.version(session, exercise_id=exercise_id, number=version)
    entrypoint = exercises.load(session, version_id=found.id).spec.entrypoint
    return {entrypoint: question.response.encode()}
