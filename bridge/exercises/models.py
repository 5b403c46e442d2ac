"""Exercise tables: an exercise and its immutable versions with their files."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db import Base, RecordModel


class Exercise(RecordModel):
    __tablename__ = "exercises"

    name: Mapped[str] = mapped_column(String(200))
    latest_version: Mapped[int] = mapped_column(default=0)

    versions: Mapped[list[ExerciseVersion]] = relationship(
        back_populates="exercise", lazy="raise", order_by="ExerciseVersion.number"
    )


class ExerciseVersion(RecordModel):
    """One immutable revision: submissions point here, so a fix never rewrites history."""

    __tablename__ = "exercise_versions"
    __table_args__ = (UniqueConstraint("exercise_id", "number"),)

    exercise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exercises.id", ondelete="CASCADE"))
    number: Mapped[int]
    language: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict[str, Any]]

    exercise: Mapped[Exercise] = relationship(back_populates="versions", lazy="raise")
    files: Mapped[list[ExerciseFile]] = relationship(lazy="raise", cascade="all, delete-orphan")


class ExerciseFile(Base):
    __tablename__ = "exercise_files"

    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
