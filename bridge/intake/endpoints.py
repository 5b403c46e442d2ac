"""Intake API.

`/api/v1/intake/*`: who may call: a Moodle site holding its shared secret (signed requests, no
API key). `/api/v1/sites/*` and `/api/v1/items/*`: holders of the API key (operators, tools).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from bridge.config import get_settings
from bridge.deps import ApiKeyDep, SessionDep
from bridge.exercises.endpoints import zip_response
from bridge.exercises.schemas import decode_files
from bridge.exercises.service import ExerciseNotFound
from bridge.intake import downloads, links, questions, regrade, replay, service
from bridge.intake import status as item_status
from bridge.intake.downloads import ExerciseDownload
from bridge.intake.models import ActivityKind, ItemKind
from bridge.intake.quiz_endpoints import router as quiz_operators
from bridge.intake.schemas import (
    Acknowledgement,
    ExerciseUpload,
    ItemRead,
    LinkIn,
    LinkRead,
    Notification,
    RegradeRead,
)
from bridge.intake.signing import HEADER_SIGNATURE, HEADER_SITE, HEADER_TIMESTAMP, Verdict, verify
from grader import ExerciseError
from grader.bounded import Bounds, DocumentTooComplex, loads_json

intake = APIRouter(prefix="/api/v1/intake", tags=["intake"])
M = TypeVar("M", bound=BaseModel)
operators = APIRouter(prefix="/api/v1", tags=["intake"], dependencies=[ApiKeyDep])

REFUSAL = {
    Verdict.OVERSIZED: status.HTTP_413_CONTENT_TOO_LARGE,
    Verdict.MISSING_HEADER: status.HTTP_400_BAD_REQUEST,
    Verdict.MALFORMED_HEADER: status.HTTP_400_BAD_REQUEST,
    Verdict.UNKNOWN_SITE: status.HTTP_401_UNAUTHORIZED,
    Verdict.STALE: status.HTTP_401_UNAUTHORIZED,
    Verdict.FUTURE: status.HTTP_401_UNAUTHORIZED,
    Verdict.BAD_SIGNATURE: status.HTTP_401_UNAUTHORIZED,
    Verdict.INVALID_JSON: status.HTTP_400_BAD_REQUEST,
    Verdict.SCHEMA_INVALID: status.HTTP_422_UNPROCESSABLE_CONTENT,
    Verdict.SITE_MISMATCH: status.HTTP_422_UNPROCESSABLE_CONTENT,
    Verdict.REPLAYED: status.HTTP_409_CONFLICT,
}


def get_clock() -> Callable[[], float]:
    """The time signatures are judged at (tests pin it)."""
    return time.time


ClockDep = Annotated[Callable[[], float], Depends(get_clock)]


class Refused(Exception):
    def __init__(self, verdict: Verdict, detail: str) -> None:
        self.verdict, self.detail = verdict, detail


def refusal(verdict: Verdict, detail: str) -> JSONResponse:
    """A clear 4xx naming the check that failed (never which secret was expected)."""
    return JSONResponse({"error": verdict.value, "detail": detail}, REFUSAL[verdict])


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Refused(Verdict.OVERSIZED, f"the body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Refused(Verdict.OVERSIZED, f"the body exceeds {limit} bytes")
    return bytes(body)


async def _verified(request: Request, model: type[M], limit: int, now: float) -> M:
    settings = get_settings()
    body = await _read_limited(request, limit)

    def secret_for(site: str) -> str | None:
        found = settings.moodle_sites.get(site)
        return found.webhook_secret.get_secret_value() if found else None

    verdict = verify(dict(request.headers), body, now=now, window_s=settings.intake_window_s,
                     max_bytes=limit, secret_for=secret_for)
    if verdict is not Verdict.VALID:
        raise Refused(verdict, f"request refused: {verdict.value.replace('_', ' ')}")
    try:
        loads_json(body, Bounds(max_bytes=limit))  # depth and size first, whatever the type says
    except DocumentTooComplex as exc:
        raise Refused(Verdict.INVALID_JSON, f"the body is refused: {exc}") from None
    except ValueError:
        pass  # not JSON: the model below names the fault
    try:
        parsed = model.model_validate_json(body)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise Refused(Verdict.INVALID_JSON, "the body is not JSON") from None
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise Refused(Verdict.SCHEMA_INVALID, f"{where}: {first['msg']}") from None
    if getattr(parsed, "site", None) != request.headers.get("x-bridge-site"):
        raise Refused(Verdict.SITE_MISMATCH, "the body's site differs from X-Bridge-Site")
    return parsed


def _first_time(session: SessionDep, request: Request, now: float) -> bool:
    """Remember this verified request's signature; False if it was accepted before."""
    return replay.accept_once(
        session, site=request.headers[HEADER_SITE], signature=request.headers[HEADER_SIGNATURE],
        timestamp=int(request.headers[HEADER_TIMESTAMP]),
        window_s=get_settings().intake_window_s, now=datetime.fromtimestamp(now, UTC))


@intake.post("/notifications", response_model=Acknowledgement,
             status_code=status.HTTP_202_ACCEPTED,
             responses={200: {"model": Acknowledgement, "description": "already recorded"}})
async def receive_notification(request: Request, session: SessionDep, clock: ClockDep
                               ) -> Any:
    """A student submitted: record it once, fetch and grade it after the commit."""
    now = clock()
    try:
        notification = await _verified(request, Notification,
                                       get_settings().intake_max_body_bytes, now)
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    if _first_time(session, request, now):
        item, duplicate = service.record_notification(session, notification=notification)
    else:
        # The same signed bytes again (the plugin retrying a lost answer, or a replay): answer
        # as for any repeat, and change nothing.
        found = service.notified_item(session, notification=notification)
        if found is None:
            return refusal(Verdict.REPLAYED, "this signed request was already accepted")
        item, duplicate = found, True
    ack = Acknowledgement(id=item.id, status=item.status.value, duplicate=duplicate)
    return JSONResponse(ack.model_dump(mode="json"),
                        status.HTTP_200_OK if duplicate else status.HTTP_202_ACCEPTED)


@intake.post("/exercises")
async def receive_exercise(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """A teacher saved the activity form: check the exercise, link it, say what we think."""
    now = clock()
    try:
        upload = await _verified(request, ExerciseUpload,
                                 get_settings().intake_max_exercise_bytes, now)
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    if not _first_time(session, request, now):
        # Replaying an older upload would roll the exercise back to it.
        return refusal(Verdict.REPLAYED, "this signed request was already accepted; "
                                         "save the form again to send it anew")
    try:
        if upload.question is not None:  # a quiz is linked question by question
            question, version = questions.link_question_files(
                session, site=upload.site, cmid=upload.cmid, course_id=upload.course_id,
                instance_id=upload.instance_id, question=upload.question,
                files=upload.exercise_files())
            exercise_id = question.exercise_id
        else:
            link, version = links.link_exercise(
                session, site=upload.site, activity=ActivityKind(upload.kind),
                cmid=upload.cmid, course_id=upload.course_id, instance_id=upload.instance_id,
                files=upload.exercise_files())
            exercise_id = link.exercise_id
    except ExerciseError as exc:
        return JSONResponse({"valid": False, "detail": str(exc), "error": exc.as_dict()},
                            status.HTTP_422_UNPROCESSABLE_CONTENT)
    return {"valid": True, "message": links.describe_version(session, version),
            "exercise_id": str(exercise_id), "version": version.number}


@intake.post("/exercises/archive", response_class=Response,
             responses={200: {"content": {"application/zip": {}},
                              "description": "the exercise folder, as `grader check` reads it"}})
async def send_exercise_archive(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """A teacher downloads the exercise of an activity (or quiz question) back as a zip."""
    now = clock()
    try:
        wanted = await _verified(request, ExerciseDownload,
                                 get_settings().intake_max_body_bytes, now)
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    if not _first_time(session, request, now):
        return refusal(Verdict.REPLAYED, "this signed request was already answered")
    try:
        name, data = downloads.linked_zip(
            session, site=wanted.site, kind=ActivityKind(wanted.kind), cmid=wanted.cmid,
            question_bank_entry_id=wanted.question_bank_entry_id)
    except links.LinkNotFound:
        return JSONResponse({"error": "not_linked", "detail": "no exercise is linked here"},
                            status.HTTP_404_NOT_FOUND)
    return zip_response(name, data)


def _link_read(session: SessionDep, site: str, activity: ActivityKind, cmid: int) -> LinkRead:
    link, version = links.get_link(session, site=site, activity=activity, cmid=cmid)
    return LinkRead(site=link.site, activity=link.activity, cmid=link.cmid,
                    course_id=link.course_id, instance_id=link.instance_id,
                    exercise_id=link.exercise_id, exercise_version=version.number,
                    enabled=link.enabled, message=links.describe_version(session, version))


@operators.put("/sites/{site}/assignments/{cmid}/exercise", response_model=LinkRead)
def put_assignment_exercise(site: str, cmid: int, body: LinkIn,
                            session: SessionDep) -> LinkRead:
    """Link an assignment to an exercise (new files become its next version)."""
    if site not in get_settings().moodle_sites:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"site {site!r} is not configured")
    try:
        files = decode_files(body.files) if body.files is not None else None
        links.link_exercise(session, site=site, activity=ActivityKind.ASSIGN, cmid=cmid,
                              course_id=body.course_id, instance_id=body.instance_id,
                              files=files, exercise_id=body.exercise_id, enabled=body.enabled)
    except ExerciseError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            {"valid": False, "error": exc.as_dict(), "detail": str(exc)}
                            ) from None
    except ExerciseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "exercise not found") from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return _link_read(session, site, ActivityKind.ASSIGN, cmid)


@operators.get("/sites/{site}/assignments/{cmid}/exercise", response_model=LinkRead)
def get_assignment_exercise(site: str, cmid: int, session: SessionDep) -> LinkRead:
    """Which exercise grades an assignment."""
    try:
        return _link_read(session, site, ActivityKind.ASSIGN, cmid)
    except links.LinkNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no exercise is linked") from None


@operators.delete("/sites/{site}/assignments/{cmid}/exercise",
                  status_code=status.HTTP_204_NO_CONTENT)
def delete_assignment_exercise(site: str, cmid: int, session: SessionDep) -> Response:
    """Unlink an assignment: later submissions are `no_exercise`; what was graded stays."""
    try:
        links.unlink(session, site=site, activity=ActivityKind.ASSIGN, cmid=cmid)
    except links.LinkNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no exercise is linked") from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@operators.post("/sites/{site}/assignments/{cmid}/regrade", response_model=RegradeRead,
                status_code=status.HTTP_202_ACCEPTED)
def regrade_assignment(site: str, cmid: int, session: SessionDep) -> RegradeRead:
    """Grade every latest submission again with the newest exercise version."""
    try:
        started = regrade.regrade(session, site=site, activity=ActivityKind.ASSIGN, cmid=cmid)
    except links.LinkNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no exercise is linked") from None
    return item_status.regrade_read(session, started)


@operators.get("/regrades/{regrade_id}", response_model=RegradeRead)
def get_regrade(regrade_id: uuid.UUID, session: SessionDep) -> RegradeRead:
    """A regrade's scores, old → new (new ones appear as grading finishes)."""
    found = item_status.get_regrade(session, regrade_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "regrade not found")
    return item_status.regrade_read(session, found)


@operators.get("/sites/{site}/items", response_model=list[ItemRead])
def list_items(site: str, session: SessionDep, cmid: int | None = None,
               user_id: int | None = None, kind: ItemKind | None = None,
               attempt_id: Annotated[int | None, Query(
                   description="A quiz attempt (quiz_attempts.id): its item and its questions'."
               )] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ItemRead]:
    """Items of a site, newest first, with their status (for the plugin and operators)."""
    return item_status.list_items(session, site=site, cmid=cmid, user_id=user_id, kind=kind,
                                  attempt_id=attempt_id, limit=limit)


@operators.get("/items/{item_id}", response_model=ItemRead)
def read_item(item_id: uuid.UUID, session: SessionDep) -> ItemRead:
    """One item: received, queued, running, graded, delivered, failed, ..."""
    found = item_status.item_read(session, item_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "item not found")
    return found


operators.include_router(quiz_operators)
