"""What operators and the plugin read about items and regrades."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from bridge.delivery.models import DeliveryState
from bridge.delivery.repository import DeliveryRepository
from bridge.exercises.repository import ExerciseRepository
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind, Regrade
from bridge.intake.repository import IntakeRepository
from bridge.intake.schemas import ItemRead, RegradeEntry, RegradeRead
from bridge.moodle.encoding import redact
from bridge.submissions.repository import SubmissionRepository

DELIVERY_STATUS = {
    DeliveryState.DELIVERED: "delivered",
    DeliveryState.PARKED: "delivery_parked",
    DeliveryState.TEACHER_OVERRIDE: "teacher_override",
}


def item_read(session: Session, item_id: uuid.UUID) -> ItemRead | None:
    """One item with its combined status."""
    item = IntakeRepository(session).get(item_id)
    return _read(session, item) if item else None


def list_items(session: Session, *, site: str, cmid: int | None, user_id: int | None,
               limit: int, kind: ItemKind | None = None, attempt_id: int | None = None
               ) -> list[ItemRead]:
    """Items of a site, newest first; `attempt_id`: a quiz attempt's item and its questions."""
    items = IntakeRepository(session).list_items(site, cmid=cmid, user_id=user_id, kind=kind,
                                                 attempt_id=attempt_id, limit=limit)
    return [_read(session, item) for item in items]


# A quiz attempt shows the least advanced of its questions: delivered once all are settled.
ATTEMPT_ORDER = ("received", "queued", "running", "graded", "delivery_parked", "failed",
                 "rejected", "teacher_override", "delivered")


def _attempt_status(questions: list[ItemRead]) -> str:
    def rank(shown: str) -> int:
        return ATTEMPT_ORDER.index(shown) if shown in ATTEMPT_ORDER else 0

    return min((q.status for q in questions), key=rank)


def _read(session: Session, item: IntakeItem) -> ItemRead:
    read = _read_one(session, item)
    if item.kind is ItemKind.QUIZ_ATTEMPT:
        read.questions = [_read_one(session, question)
                          for question in IntakeRepository(session).question_items(item.id)]
        if item.status is IntakeStatus.FETCHED and read.questions:
            read.status = _attempt_status(read.questions)
            _attempt_totals(read)
    return read


def _attempt_totals(read: ItemRead) -> None:
    """An attempt's marks over its linked questions, once every one of them has its own.

    Scores are on the questions' scale (each exercise's score scaled to its maximum mark), so
    a student reads "12 / 20" for the bridge-graded part of the quiz; `grade` is what Moodle
    holds for those questions, summed once every mark is delivered.
    """
    questions = read.questions or []
    marks = [q.max_mark for q in questions]
    if any(m is None for m in marks):
        return
    if all(q.score is not None and q.max_score for q in questions):
        read.score = round(sum((q.score or 0) / (q.max_score or 1) * (q.max_mark or 0)
                               for q in questions), 5)
        read.max_score = float(sum(m or 0 for m in marks))
    if all(q.grade is not None for q in questions):
        read.grade = round(sum(q.grade or 0 for q in questions), 5)


def _read_one(session: Session, item: IntakeItem) -> ItemRead:
    shown, score, max_score, grade, error = item.status.value, None, None, None, item.error
    if item.status is IntakeStatus.FETCHED and item.submission_id is not None:
        subs = SubmissionRepository(session)
        submission = subs.get(item.submission_id)
        result = subs.latest_result(item.submission_id)
        delivery = DeliveryRepository(session).latest_for_item(item.id)
        if submission is not None:
            shown, error = submission.status.value, submission.error
        if result is not None:
            score, max_score = result.score, result.max_score
        if delivery is not None and delivery.submission_id == item.submission_id:
            shown = DELIVERY_STATUS.get(delivery.state, shown)
            grade = delivery.grade
            error = error or delivery.last_error
    return ItemRead(
        id=item.id, site=item.site, kind=item.kind, cmid=item.cmid,
        instance_id=item.instance_id, item_id=item.item_id, user_id=item.user_id,
        attempt_number=item.attempt_number, intake_status=item.status, status=shown,
        submission_id=item.submission_id, score=score, max_score=max_score, grade=grade,
        # Errors stored before secrets were redacted at the source still never leave here.
        error=redact(error) if error else None, created_at=item.created_at,
        modified_at=item.modified_at, **_question_fields(item))


def _question_fields(item: IntakeItem) -> dict[str, Any]:
    if item.kind is not ItemKind.QUIZ_QUESTION:
        return {}
    return {"attempt_item": item.attempt_item_id,
            "question_bank_entry_id": item.question_bank_entry_id,
            "question_id": item.question_id, "slot": item.slot, "max_mark": item.max_mark,
            "sequence_check": item.sequence_check}


def get_regrade(session: Session, regrade_id: uuid.UUID) -> Regrade | None:
    return IntakeRepository(session).get_regrade(regrade_id)


def _changed(raw: dict[str, Any], score: float, max_score: float) -> bool:
    """Whether the score or its maximum moved (regrades recorded before the maximum: score only)."""
    if raw.get("old_max_score") is None:
        return bool(score != raw.get("old_score"))
    return (score, max_score) != (raw.get("old_score"), raw["old_max_score"])


def regrade_read(session: Session, regrade: Regrade) -> RegradeRead:
    """Old → new score of every regraded item; `new_score` stays null until graded."""
    subs = SubmissionRepository(session)
    items, deliveries = IntakeRepository(session), DeliveryRepository(session)
    entries = []
    for raw in regrade.entries:
        new_id = uuid.UUID(raw["new_submission_id"]) if raw.get("new_submission_id") else None
        submission = subs.get(new_id) if new_id else None
        result = subs.latest_result(new_id) if new_id else None
        new_score = result.score if result else None
        item = items.get(uuid.UUID(raw["item"]))
        delivery = deliveries.for_round(new_id, submission.grading_round) \
            if new_id and submission else None
        entries.append(RegradeEntry(
            item=uuid.UUID(raw["item"]), user_id=raw["user_id"],
            old_submission_id=raw.get("old_submission_id"), new_submission_id=new_id,
            old_score=raw.get("old_score"), old_max_score=raw.get("old_max_score"),
            new_score=new_score, max_score=result.max_score if result else None,
            status=submission.status.value if submission else "rejected",
            changed=None if result is None else _changed(raw, result.score, result.max_score),
            error=raw.get("error") or (submission.error if submission else None),
            attempt_number=item.attempt_number if item else None,
            slot=item.slot if item else None,
            grade=delivery.grade if delivery else None,
            delivery=DELIVERY_STATUS.get(delivery.state, delivery.state.value)
            if delivery else None))
    version = ExerciseRepository(session).get_version(regrade.exercise_version_id)
    return RegradeRead(
        id=regrade.id, site=regrade.site, cmid=regrade.cmid,
        question_bank_entry_id=regrade.question_bank_entry_id,
        exercise_version=version.number if version else 0, entries=entries,
        changed=sum(bool(e.changed) for e in entries),
        pending=sum(e.new_submission_id is not None and e.new_score is None for e in entries))
