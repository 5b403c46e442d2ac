"""SQL for exercises."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bridge.exercises.models import Exercise, ExerciseFile, ExerciseVersion
from bridge.repository import Repository


class ExerciseRepository(Repository[Exercise]):
    model = Exercise

    def add_version(self, version: ExerciseVersion, files: dict[str, bytes]) -> ExerciseVersion:
        version.files = [ExerciseFile(path=p, content=c) for p, c in sorted(files.items())]
        self.session.add(version)
        self.session.flush()
        return version

    def get_version(self, version_id: uuid.UUID) -> ExerciseVersion | None:
        statement = (
            select(ExerciseVersion).where(ExerciseVersion.id == version_id)
            .options(selectinload(ExerciseVersion.files))
        )
        return self.session.scalars(statement).first()

    def latest_version(self, exercise_id: uuid.UUID) -> ExerciseVersion | None:
        statement = (
            select(ExerciseVersion).where(ExerciseVersion.exercise_id == exercise_id)
            .order_by(ExerciseVersion.number.desc()).limit(1)
            .options(selectinload(ExerciseVersion.files))
        )
        return self.session.scalars(statement).first()

    def version_by_number(self, exercise_id: uuid.UUID, number: int) -> ExerciseVersion | None:
        statement = select(ExerciseVersion).where(
            ExerciseVersion.exercise_id == exercise_id, ExerciseVersion.number == number
        )
        return self.session.scalars(statement).first()

    def version_at(self, exercise_id: uuid.UUID, at: datetime) -> ExerciseVersion | None:
        """The newest version created before `at`; the first one if all are later."""
        by_then = (
            select(ExerciseVersion)
            .where(ExerciseVersion.exercise_id == exercise_id, ExerciseVersion.created_at < at)
            .order_by(ExerciseVersion.number.desc()).limit(1)
        )
        first = (
            select(ExerciseVersion).where(ExerciseVersion.exercise_id == exercise_id)
            .order_by(ExerciseVersion.number).limit(1)
        )
        return self.session.scalars(by_then).first() or self.session.scalars(first).first()
