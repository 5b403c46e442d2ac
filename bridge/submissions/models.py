"""Submission tables: the files handed in, the grading status, and each result."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import Base, RecordModel
from bridge.exercises.models import ExerciseVersion


class SubmissionStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    DELIVERED = "delivered"  # graded, and the grade is in Moodle's gradebook
    FAILED = "failed"


class Submission(RecordModel):
    __tablename__ = "submissions"
    __table_args__ = (Index(None, "status", "modified_at"),)

    exercise_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[SubmissionStatus] = mapped_column(
        Enum(SubmissionStatus, native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=SubmissionStatus.QUEUED,
    )
    # Bumped by a regrade; a result belongs to one round, so a late duplicate task is a no-op.
    grading_round: Mapped[int] = mapped_column(default=1)
    run_count: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    exercise_version: Mapped[ExerciseVersion] = relationship(lazy="raise")
    files: Mapped[list[SubmissionFile]] = relationship(lazy="raise", cascade="all, delete-orphan")


class SubmissionFile(Base):
    __tablename__ = "submission_files"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Result(RecordModel):
    """The grading result document of one round, with its headline figures as columns."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("submission_id", "grading_round"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    grading_round: Mapped[int]
    status: Mapped[str] = mapped_column(String(32))
    score: Mapped[float]
    max_score: Mapped[float]
    image_digest: Mapped[str] = mapped_column(String(100))
    grader_version: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]]
