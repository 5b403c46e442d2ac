"""Results export API. Who may call: holders of the API key (operators, tools).

Teachers download the same export from Moodle through the signed /api/v1/intake/results.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from bridge.deps import ApiKeyDep, SessionDep
from bridge.intake.models import ActivityKind
from bridge.intake.teacher_endpoints import csv_response
from bridge.results import service
from bridge.results.schemas import PassRates, ResultsPage

router = APIRouter(prefix="/api/v1/sites", tags=["results"], dependencies=[ApiKeyDep])


class Activities(StrEnum):
    ASSIGNMENTS = "assignments"
    QUIZZES = "quizzes"

    @property
    def kind(self) -> ActivityKind:
        return ActivityKind.ASSIGN if self is Activities.ASSIGNMENTS else ActivityKind.QUIZ


@router.get("/{site}/{activity}/{cmid}/results", response_model=ResultsPage,
            responses={200: {"content": {"text/csv": {}}, "description": "?format=csv"}})
def activity_results(site: str, activity: Activities, cmid: int, session: SessionDep,
                     format: Literal["json", "csv"] = "json",
                     after_user_id: Annotated[int, Query(ge=0)] = 0,
                     limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 100) -> Any:
    """A page of one activity's results per student and test, JSON or CSV (keyset paging)."""
    found = service.page(session, site=site, activity=activity.kind, cmid=cmid,
                         after_user_id=after_user_id, limit=limit)
    if format == "csv":
        return csv_response(found, header=after_user_id == 0)
    return found


@router.get("/{site}/{activity}/{cmid}/pass-rates", response_model=PassRates)
def activity_pass_rates(site: str, activity: Activities, cmid: int,
                        session: SessionDep) -> PassRates:
    """How many students pass each test of the activity."""
    return service.pass_rates(session, site=site, activity=activity.kind, cmid=cmid)
