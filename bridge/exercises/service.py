"""Exercise logic: check an upload with the grader's own loader, store it as a new version."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from bridge.exercises.models import Exercise, ExerciseVersion
from bridge.exercises.repository import ExerciseRepository
from grader import Exercise as LoadedExercise
from grader import parse_exercise


class ExerciseNotFound(LookupError):
    pass


def create(session: Session, *, name: str, files: dict[str, bytes]) -> ExerciseVersion:
    """Check and store a new exercise (version 1); ExerciseError if it is broken."""
    loaded = parse_exercise(files)
    repo = ExerciseRepository(session)
    exercise = repo.add(Exercise(name=name, latest_version=0))
    return _add_version(repo, exercise, loaded, files)


def add_version(session: Session, *, exercise_id: uuid.UUID,
                files: dict[str, bytes]) -> ExerciseVersion:
    """Check and store the next version of an exercise."""
    loaded = parse_exercise(files)
    repo = ExerciseRepository(session)
    exercise = repo.get_for_update(exercise_id)
    if exercise is None:
        raise ExerciseNotFound(exercise_id)
    return _add_version(repo, exercise, loaded, files)


def _add_version(repo: ExerciseRepository, exercise: Exercise, loaded: LoadedExercise,
                 files: dict[str, bytes]) -> ExerciseVersion:
    exercise.latest_version += 1
    version = ExerciseVersion(
        exercise_id=exercise.id, number=exercise.latest_version, language=loaded.language,
        spec=loaded.spec.model_dump(mode="json"),
    )
    return repo.add_version(version, loaded.files)


def latest(session: Session, *, exercise_id: uuid.UUID) -> ExerciseVersion:
    """The newest version of an exercise."""
    version = ExerciseRepository(session).latest_version(exercise_id)
    if version is None:
        raise ExerciseNotFound(exercise_id)
    return version


def version(session: Session, *, exercise_id: uuid.UUID, number: int) -> ExerciseVersion:
    """Version `number` of an exercise."""
    found = ExerciseRepository(session).version_by_number(exercise_id, number)
    if found is None:
        raise ExerciseNotFound(exercise_id)
    return found


def version_at(session: Session, *, exercise_id: uuid.UUID, at: datetime) -> ExerciseVersion:
    """The version that was current just before `at`: the newest stored by then (else the
    first, for a submission older than the exercise)."""
    found = ExerciseRepository(session).version_at(exercise_id, at)
    if found is None:
        raise ExerciseNotFound(exercise_id)
    return found


def load(session: Session, *, version_id: uuid.UUID) -> LoadedExercise:
    """A stored version, loaded back into the grader's exercise model."""
    version = ExerciseRepository(session).get_version(version_id)
    if version is None:
        raise ExerciseNotFound(version_id)
    return parse_exercise({f.path: f.content for f in version.files})


def name(session: Session, *, exercise_id: uuid.UUID) -> str:
    """An exercise's name, or "" if it does not exist."""
    exercise = ExerciseRepository(session).get(exercise_id)
    return exercise.name if exercise else ""
