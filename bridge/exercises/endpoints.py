"""Exercise API. Who may call: holders of the API key (teachers' tools, the Moodle plugin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import Response

from bridge.deps import ApiKeyDep, SessionDep
from bridge.exercises import service
from bridge.exercises.archive import version_zip
from bridge.exercises.models import ExerciseVersion
from bridge.exercises.schemas import (
    ExerciseCreate,
    ExerciseRead,
    ExerciseVersionCreate,
    decode_files,
)
from grader import ExerciseError, max_score, parse_exercise

router = APIRouter(prefix="/api/v1/exercises", tags=["exercises"], dependencies=[ApiKeyDep])


def _read(version: ExerciseVersion, name: str) -> ExerciseRead:
    loaded = parse_exercise({f.path: f.content for f in version.files})
    return ExerciseRead(
        id=version.exercise_id, name=name, version=version.number, version_id=version.id,
        language=version.language, max_score=max_score(loaded), spec=version.spec,
        created_at=version.created_at,
    )


def _invalid(exc: ExerciseError) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                         {"error": "invalid_exercise", **exc.as_dict(), "detail": str(exc)})


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ExerciseRead)
def create_exercise(body: ExerciseCreate, session: SessionDep) -> ExerciseRead:
    """Store a new exercise after checking it; a broken one is refused with file and field."""
    try:
        version = service.create(session, name=body.name, files=decode_files(body.files))
    except ExerciseError as exc:
        raise _invalid(exc) from None
    return _read(version, body.name)


@router.post("/{exercise_id}/versions", status_code=status.HTTP_201_CREATED,
             response_model=ExerciseRead)
def add_exercise_version(exercise_id: uuid.UUID, body: ExerciseVersionCreate,
                         session: SessionDep) -> ExerciseRead:
    """Store a corrected exercise as its next version; earlier results keep theirs."""
    try:
        version = service.add_version(session, exercise_id=exercise_id,
                                      files=decode_files(body.files))
    except ExerciseError as exc:
        raise _invalid(exc) from None
    except service.ExerciseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "exercise not found") from None
    return _read(version, service.name(session, exercise_id=exercise_id))


@router.get("/{exercise_id}", response_model=ExerciseRead)
def get_exercise(exercise_id: uuid.UUID, session: SessionDep) -> ExerciseRead:
    """The newest version of an exercise."""
    try:
        version = service.latest(session, exercise_id=exercise_id)
    except service.ExerciseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "exercise not found") from None
    return _read(version, service.name(session, exercise_id=exercise_id))


def zip_response(name: str, data: bytes) -> Response:
    """A zip sent as a download named `name`."""
    return Response(data, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{exercise_id}/archive", response_class=Response,
            responses={200: {"content": {"application/zip": {}},
                             "description": "the exercise folder, as `grader check` reads it"}})
def get_exercise_archive(exercise_id: uuid.UUID, session: SessionDep,
                         version: Annotated[int | None, Query(ge=1)] = None) -> Response:
    """An exercise's newest version (or `version`) as a zip that `grader check` accepts."""
    try:
        found = (service.latest(session, exercise_id=exercise_id) if version is None
                 else service.version(session, exercise_id=exercise_id, number=version))
        name, data = version_zip(session, version_id=found.id)
    except service.ExerciseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "exercise not found") from None
    return zip_response(name, data)


@router.post("/validate")
def validate_exercise(body: ExerciseVersionCreate) -> dict[str, object]:
    """Check an exercise without storing it (the Moodle plugin shows teachers the verdict)."""
    try:
        loaded = parse_exercise(decode_files(body.files))
    except ExerciseError as exc:
        return {"valid": False, "error": exc.as_dict(), "detail": str(exc)}
    return {"valid": True, "language": loaded.language, "max_score": max_score(loaded),
            "tests": len(loaded.io_tests) or len(loaded.unit_tests)}
