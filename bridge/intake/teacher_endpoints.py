"""What a Moodle site's teachers do through the bridge (signed by the site, never the key).

`POST /api/v1/intake/ping`: does the shared secret work. `/regrades`: regrade an activity;
`/regrades/read`: its progress and old → new scores. `/history`: a user's grade history (the
plugin's history page and privacy export). `/results`, `/results/pass-rates`: one activity's
results export. All are signed as notifications are, with a nonce; a replay is refused (409).
Who may call: a configured Moodle site holding its secret; the plugin checks the teacher's
capabilities in Moodle before it signs.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse, Response

from bridge import __version__
from bridge.auth.endpoints.jwks import JWKS_PATH
from bridge.config import get_settings
from bridge.deps import SessionDep
from bridge.history import service as history
from bridge.history.schemas import HistoryEntry
from bridge.intake import links, questions, teacher
from bridge.intake.endpoints import ClockDep, Refused, _first_time, _verified, refusal
from bridge.intake.models import ActivityKind
from bridge.intake.signing import Verdict
from bridge.intake.teacher_schemas import (
    HistoryAnswer,
    HistoryQuery,
    PassRateQuery,
    Ping,
    Pong,
    RegradeQuery,
    RegradeReport,
    RegradeStart,
    ResultsQuery,
    Signed,
)
from bridge.results import service as results
from bridge.results.schemas import PassRates, ResultsPage

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
REPLAYED = "this signed request was already accepted; sign each question anew"
S = TypeVar("S", bound=Signed)
SIGNED: dict[int | str, dict[str, Any]] = {401: {"description": "bad signature"},
                                          409: {"description": "replay"}}


async def _question(request: Request, session: SessionDep, model: type[S], now: float) -> S:
    query = await _verified(request, model, get_settings().intake_max_body_bytes, now)
    if not _first_time(session, request, now):
        raise Refused(Verdict.REPLAYED, REPLAYED)
    return query


def _json(model: Any, code: int = status.HTTP_200_OK) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), code)


def _not_found(detail: str) -> JSONResponse:
    return JSONResponse({"error": "not_found", "detail": detail}, status.HTTP_404_NOT_FOUND)


@router.post("/ping", response_model=Pong, responses=SIGNED)
async def ping(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """The signature checks out: the site's secret and clock agree with the bridge's."""
    try:
        query = await _question(request, session, Ping, clock())
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    return _json(Pong(ok=True, site=query.site, bridge_version=__version__,
                      jwks_url=get_settings().public_url + JWKS_PATH))


@router.post("/regrades", response_model=RegradeReport, status_code=status.HTTP_202_ACCEPTED,
             responses=SIGNED | {404: {"description": "no exercise is linked"}})
async def start_regrade(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """Regrade every latest submission of the activity with its newest exercise version."""
    try:
        query = await _question(request, session, RegradeStart, clock())
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    try:
        report = teacher.start(session, site=query.site, activity=ActivityKind(query.kind),
                               cmid=query.cmid, bank_entry_id=query.question_bank_entry_id,
                               teacher=query.requested_by)
    except (links.LinkNotFound, questions.QuestionLinkNotFound):
        return _not_found("no exercise is linked to this activity or question")
    return _json(report, status.HTTP_202_ACCEPTED)


@router.post("/regrades/read", response_model=RegradeReport, responses=SIGNED)
async def read_regrade(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """A regrade's progress and its old → new scores (the activity's newest without an id)."""
    try:
        query = await _question(request, session, RegradeQuery, clock())
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    found = teacher.find(session, site=query.site, activity=ActivityKind(query.kind),
                         cmid=query.cmid, bank_entry_id=query.question_bank_entry_id,
                         regrade_id=uuid.UUID(query.regrade_id) if query.regrade_id else None)
    if found is None:
        return _not_found("no such regrade of this activity")
    return _json(teacher.report(session, found))


@router.post("/history", response_model=HistoryAnswer, responses=SIGNED)
async def read_history(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """A user's grade history on the signing site, optionally one activity or submission."""
    try:
        query = await _question(request, session, HistoryQuery, clock())
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    rows = history.for_moodle_user(session, site=query.site, user_id=query.user_id,
                                   cmid=query.cmid, moodle_item_id=query.item_id)
    return _json(HistoryAnswer(entries=[HistoryEntry.of(row) for row in rows]))


@router.post("/results", response_model=ResultsPage, responses=SIGNED | {
    200: {"content": {"text/csv": {}}, "description": "with format csv"}})
async def read_results(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """One page of an activity's results per student and test; `next_after_user_id` pages."""
    try:
        query = await _question(request, session, ResultsQuery, clock())
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    found = results.page(session, site=query.site, activity=ActivityKind(query.kind),
                         cmid=query.cmid, after_user_id=query.after_user_id, limit=query.limit)
    if query.format == "csv":
        return csv_response(found, header=query.after_user_id == 0)
    return _json(found)


@router.post("/results/pass-rates", response_model=PassRates, responses=SIGNED)
async def read_pass_rates(request: Request, session: SessionDep, clock: ClockDep) -> Any:
    """How many students pass each test of the activity."""
    try:
        query = await _question(request, session, PassRateQuery, clock())
    except Refused as refused:
        return refusal(refused.verdict, refused.detail)
    return _json(results.pass_rates(session, site=query.site,
                                    activity=ActivityKind(query.kind), cmid=query.cmid))


def csv_response(found: ResultsPage, *, header: bool) -> Response:
    """A page as text/csv; X-Next-After-User-Id says how to ask for the next page."""
    headers = {"X-Next-After-User-Id": str(found.next_after_user_id or "")}
    return Response(results.to_csv(found, header=header), media_type="text/csv; charset=utf-8",
                    headers=headers)
