"""Fetch a failed item again: operators by item id (API key), teachers through a signed call.

`POST /api/v1/items/{id}/refetch` (API key) and `POST /api/v1/intake/items/refetch` (signed by
the site, with a nonce; the plugin checks the teacher's grading capability before it signs).
Both answer 202 when the item went back to `received` (its fetch job is sent after the commit),
200 when it was already waiting (a repeated request changes nothing), 404 for no such item of
the site, 409 when its intake did not fail.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictInt

from bridge.deps import ApiKeyDep, SessionDep
from bridge.intake import refetch, states
from bridge.intake import status as item_status
from bridge.intake.endpoints import ClockDep, Refused, refusal
from bridge.intake.models import ItemKind
from bridge.intake.schemas import ItemRead, PositiveId
from bridge.intake.state_schemas import StateRead
from bridge.intake.teacher_endpoints import SIGNED, _question
from bridge.intake.teacher_schemas import Signed

operators = APIRouter(prefix="/api/v1", tags=["intake"], dependencies=[ApiKeyDep])
signed = APIRouter(prefix="/api/v1/intake", tags=["intake"])
ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"description": "already waiting for its fetch: nothing changed"},
    404: {"description": "no such item"},
    409: {"description": "its intake did not fail (failed, rejected, no_exercise only)"}}


class RefetchRead(BaseModel):
    refetched: bool = Field(description="False: the item was already waiting for its fetch.")
    item: ItemRead


class RefetchRequest(Signed):
    """POST /api/v1/intake/items/refetch: fetch a student's failed submission again."""

    kind: Literal["assign_submission", "quiz_attempt"]
    cmid: PositiveId
    user_id: PositiveId
    attempt_number: Annotated[StrictInt, Field(ge=0)] | None = None
    requested_by: PositiveId | None = Field(default=None, description="The teacher's user id.")


class RefetchState(BaseModel):
    refetched: bool
    state: StateRead


def _conflict(exc: refetch.NotRefetchable) -> JSONResponse:
    return JSONResponse({"error": "not_refetchable", "detail": exc.detail,
                         "status": exc.item.status.value}, status.HTTP_409_CONFLICT)


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse({"error": "not_found", "detail": detail}, status.HTTP_404_NOT_FOUND)


def _read(session: SessionDep, item_id: uuid.UUID) -> ItemRead:
    found = item_status.item_read(session, item_id)
    assert found is not None  # locked in this transaction
    return found


@operators.post("/items/{item_id}/refetch", response_model=RefetchRead,
                status_code=status.HTTP_202_ACCEPTED, responses=ANSWERS)
def refetch_item(item_id: uuid.UUID, session: SessionDep) -> Any:
    """Fetch again an item whose intake failed for good, once its cause is fixed."""
    try:
        done = refetch.refetch(session, item_id=item_id, actor="operator (API key)")
    except refetch.ItemNotFound:
        return _not_found("item not found")
    except refetch.NotRefetchable as exc:
        return _conflict(exc)
    answer = RefetchRead(refetched=done.refetched, item=_read(session, done.item_id))
    return JSONResponse(answer.model_dump(mode="json"),
                        status.HTTP_202_ACCEPTED if done.refetched else status.HTTP_200_OK)


@signed.post("/items/refetch", response_model=RefetchState,
             status_code=status.HTTP_202_ACCEPTED, responses=SIGNED | ANSWERS)
async def refetch_for_teacher(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """A teacher's "Fetch again" for one student's newest submission (or attempt)."""
    try:
        query = await _question(request, session, RefetchRequest, clock())
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    actor = f"moodle:{query.site} user {query.requested_by or 0}"
    try:
        done = refetch.refetch_latest(
            session, site=query.site, kind=ItemKind(query.kind), cmid=query.cmid,
            user_id=query.user_id, attempt_number=query.attempt_number, actor=actor)
    except refetch.ItemNotFound:
        return _not_found("the bridge has no such submission of this site")
    except refetch.NotRefetchable as exc:
        return _conflict(exc)
    answer = RefetchState(refetched=done.refetched,
                          state=states.state_of(_read(session, done.item_id)))
    return JSONResponse(answer.model_dump(mode="json"),
                        status.HTTP_202_ACCEPTED if done.refetched else status.HTTP_200_OK)
