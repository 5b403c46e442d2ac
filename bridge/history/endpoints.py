"""Grade history API. Who may call: holders of the API key (operators, tools).

Moodle sites read the same history through the signed /api/v1/intake/history (teachers on the
plugin's pages, the privacy export).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, status

from bridge.deps import ApiKeyDep, SessionDep
from bridge.history import service
from bridge.history.schemas import HistoryEntry

router = APIRouter(prefix="/api/v1", tags=["history"], dependencies=[ApiKeyDep])


@router.get("/items/{item_id}/history", response_model=list[HistoryEntry])
def item_history(item_id: uuid.UUID, session: SessionDep) -> list[HistoryEntry]:
    """Every event of a Moodle item (submission or attempt), oldest first."""
    rows = service.for_item(session, item_id=item_id)
    if rows is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "item not found")
    return [HistoryEntry.of(row) for row in rows]


@router.get("/submissions/{submission_id}/history", response_model=list[HistoryEntry])
def submission_history(submission_id: uuid.UUID, session: SessionDep) -> list[HistoryEntry]:
    """Every event of one bridge submission, oldest first."""
    rows = service.for_submission(session, submission_id=submission_id)
    if rows is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "submission not found")
    return [HistoryEntry.of(row) for row in rows]


@router.get("/sites/{site}/users/{user_id}/history", response_model=list[HistoryEntry])
def user_history(site: str, user_id: int, session: SessionDep,
                 cmid: int | None = None) -> list[HistoryEntry]:
    """A Moodle user's events on a site (a privacy request), optionally one activity."""
    return [HistoryEntry.of(row) for row in service.for_moodle_user(
        session, site=site, user_id=user_id, cmid=cmid)]
