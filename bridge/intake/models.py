"""Intake tables: which exercise grades which Moodle activity, and every gradable item seen.

A gradable item is one Moodle thing a student handed in: an assignment submission attempt, or
one linked question of a quiz attempt. Both travel the same road (item → submission →
delivery); a quiz attempt's own item records the notification and holds its question items.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import JSONType, RecordModel


def _enum(cls: type[StrEnum], length: int = 16) -> Enum:
    return Enum(cls, native_enum=False, length=length,
                values_callable=lambda e: [m.value for m in e])


class ItemKind(StrEnum):
    ASSIGN_SUBMISSION = "assign_submission"
    QUIZ_ATTEMPT = "quiz_attempt"    # the notified attempt: its questions are items of their own
    QUIZ_QUESTION = "quiz_question"  # one linked question of an attempt, graded and delivered

    @property
    def activity(self) -> ActivityKind:
        return ActivityKind.ASSIGN if self is ItemKind.ASSIGN_SUBMISSION else ActivityKind.QUIZ


class ActivityKind(StrEnum):
    ASSIGN = "assign"
    QUIZ = "quiz"


class IntakeStatus(StrEnum):
    RECEIVED = "received"          # recorded, its files not fetched yet
    FETCHED = "fetched"            # a bridge submission exists and is graded from here on
    REJECTED = "rejected"          # the files can never be graded (no files, too large...)
    FAILED = "failed"              # Moodle refused for good (token, permissions, vanished)
    SUPERSEDED = "superseded"      # a newer attempt replaced it before it was fetched
    NO_EXERCISE = "no_exercise"    # the activity has no exercise linked
    UNSUPPORTED = "unsupported"    # a kind this bridge version does not grade yet


class ExerciseLink(RecordModel):
    """Exercise that grades one Moodle activity (assignment or quiz) of one site."""

    __tablename__ = "moodle_exercise_links"
    __table_args__ = (UniqueConstraint("site", "activity", "cmid"),)

    site: Mapped[str] = mapped_column(String(64))
    activity: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind))
    cmid: Mapped[int] = mapped_column(BigInteger)
    course_id: Mapped[int] = mapped_column(BigInteger)
    instance_id: Mapped[int] = mapped_column(BigInteger)
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="RESTRICT"), index=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Unix time of the last reconciliation sweep (Moodle's `since` is in unix seconds).
    swept_until: Mapped[int | None] = mapped_column(BigInteger, default=None)


class QuestionLink(RecordModel):
    """Exercise that grades one question of a quiz, keyed like local_bridge_question.

    The key is the question bank entry, never the slot: a slot changes when a teacher reorders,
    adds or removes questions; the bank entry stays through every version of the question.
    """

    __tablename__ = "moodle_question_links"
    __table_args__ = (UniqueConstraint("site", "cmid", "question_bank_entry_id"),)

    site: Mapped[str] = mapped_column(String(64))
    cmid: Mapped[int] = mapped_column(BigInteger)
    course_id: Mapped[int] = mapped_column(BigInteger)
    instance_id: Mapped[int] = mapped_column(BigInteger)
    question_bank_entry_id: Mapped[int] = mapped_column(BigInteger)
    # The version current when the teacher saved, its ID number and name: for people only.
    question_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    idnumber: Mapped[str | None] = mapped_column(String(100), default=None)
    name: Mapped[str] = mapped_column(String(255), default="")
    exercise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercises.id", ondelete="RESTRICT"), index=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # Unix time the last reconciliation sweep of the quiz reached (one sweep for all its links).
    swept_until: Mapped[int | None] = mapped_column(BigInteger, default=None)


class IntakeItem(RecordModel):
    """One gradable item, recorded once per (site, kind, Moodle id, attempt, question)."""

    __tablename__ = "moodle_items"
    __table_args__ = (
        UniqueConstraint("site", "event_id"),
        UniqueConstraint("site", "kind", "item_id", "attempt_number", "question_bank_entry_id",
                         name="uq_moodle_items_site_kind_item"),
        Index(None, "site", "kind", "cmid", "user_id"),
        Index(None, "status", "modified_at"),
    )

    site: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind, 32))
    event_id: Mapped[str | None] = mapped_column(String(64), default=None)
    source: Mapped[str] = mapped_column(String(16), default="notification")
    course_id: Mapped[int] = mapped_column(BigInteger)
    cmid: Mapped[int] = mapped_column(BigInteger)
    instance_id: Mapped[int] = mapped_column(BigInteger)
    item_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    attempt_number: Mapped[int]
    submitted_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[IntakeStatus] = mapped_column(_enum(IntakeStatus),
                                                 default=IntakeStatus.RECEIVED)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    submission_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), default=None, index=True)
    # A quiz question (kind quiz_question; item_id is the attempt's id): 0 for anything else, so
    # the unique key above holds for every kind (NULLs would never collide).
    question_bank_entry_id: Mapped[int] = mapped_column(BigInteger, default=0,
                                                        server_default="0")
    attempt_item_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("moodle_items.id", ondelete="CASCADE"), default=None, index=True)
    # The question as local_bridge_get_attempt_responses read it when the item was made.
    slot: Mapped[int | None] = mapped_column(default=None)
    question_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sequence_check: Mapped[int | None] = mapped_column(default=None)
    max_mark: Mapped[float | None] = mapped_column(default=None)
    response_sha256: Mapped[str | None] = mapped_column(String(64), default=None)


class Regrade(RecordModel):
    """A teacher's regrade of every latest submission of an activity, with old scores kept."""

    __tablename__ = "moodle_regrades"

    site: Mapped[str] = mapped_column(String(64))
    activity: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind))
    cmid: Mapped[int] = mapped_column(BigInteger)
    question_bank_entry_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    exercise_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="RESTRICT"))
    # "operator (API key)", or "moodle:<site> user <id>" when a teacher started it in Moodle.
    requested_by: Mapped[str | None] = mapped_column(String(200), default=None)
    # [{item, user_id, old_submission_id, new_submission_id, old_score, error}]
    entries: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class AcceptedSignature(RecordModel):
    """A signed request from a site, accepted once: kept until its time window has closed.

    The signature covers the timestamp and the whole body, so the same value again is the same
    request replayed (by an attacker, or a proxy that retried); `expires_at` is when the
    timestamp falls out of the window and a replay would be refused as stale anyway.
    """

    __tablename__ = "moodle_accepted_signatures"
    __table_args__ = (UniqueConstraint("site", "signature"),)

    site: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime] = mapped_column(index=True)
