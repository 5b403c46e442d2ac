"""What a Moodle site asks the bridge about its submissions (signed by the site, never the key).

`POST /api/v1/intake/states`: the grading state of up to 100 (kind, cmid, user) submissions,
for local_bridge's student and teacher views. `POST /api/v1/intake/failures`: submissions that
could not be graded since a time, for local_bridge's teacher messages. Both are signed as
notifications are, with a nonce in the body; a request replayed is refused (409).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from bridge.config import get_settings
from bridge.deps import SessionDep
from bridge.intake import states as grading_states
from bridge.intake.endpoints import ClockDep, Refused, _first_time, _verified, refusal
from bridge.intake.signing import Verdict
from bridge.intake.state_schemas import FailureAnswer, FailureQuery, StateAnswer, StateQuery

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
REPLAYED = "this signed request was already accepted; sign each question anew"


@router.post("/states", response_model=StateAnswer,
             responses={401: {"description": "bad signature"}, 409: {"description": "replay"}})
async def read_states(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """The grading state of each asked-for submission of the signing site."""
    now = clock()
    try:
        query = await _verified(request, StateQuery, get_settings().intake_max_body_bytes, now)
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    if not _first_time(session, request, now):
        return refusal(Verdict.REPLAYED, REPLAYED)
    answer = StateAnswer(states=grading_states.states(session, site=query.site,
                                                      keys=query.items))
    return JSONResponse(answer.model_dump(mode="json"), status.HTTP_200_OK)


@router.post("/failures", response_model=FailureAnswer,
             responses={401: {"description": "bad signature"}, 409: {"description": "replay"}})
async def read_failures(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """Submissions of the signing site that could not be graded, since a unix time."""
    now = clock()
    try:
        query = await _verified(request, FailureQuery, get_settings().intake_max_body_bytes, now)
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    if not _first_time(session, request, now):
        return refusal(Verdict.REPLAYED, REPLAYED)
    answer = grading_states.failures(session, site=query.site, since=query.since,
                                     limit=query.limit)
    return JSONResponse(answer.model_dump(mode="json"), status.HTTP_200_OK)
