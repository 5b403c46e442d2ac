"""The administrators' account API: registration systems and operators manage accounts here."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response, status

from bridge.auth import service
from bridge.auth.dependencies import AUTH_PREFIX, AdminDep
from bridge.auth.models import Account, AccountRole, AccountStatus
from bridge.auth.schemas import AccountCreate, AccountFields, AccountRead, EnrolmentsUpdate
from bridge.deps import SessionDep

# Administrators: an account with the admin role, or the operator API key.
router = APIRouter(prefix=f"{AUTH_PREFIX}/accounts", tags=["auth admin"])


def _read(account: Account) -> AccountRead:
    return AccountRead.model_validate(account)


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "account not found")


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AccountRead)
def create_account(body: AccountCreate, _: AdminDep, session: SessionDep) -> AccountRead:
    """Create an account."""
    try:
        return _read(service.create_account(session, data=body))
    except service.AccountConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.put("/by-external-id/{external_id}", response_model=AccountRead,
            responses={201: {"model": AccountRead}})
def upsert_account(external_id: Annotated[str, Path(min_length=1, max_length=200)],
                   body: AccountFields, response: Response, _: AdminDep,
                   session: SessionDep) -> AccountRead:
    """Create or update a registration system's person (idempotent); 201 when created."""
    try:
        account, created = service.upsert_account(session, external_id=external_id, data=body)
    except service.AccountConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _read(account)


@router.get("", response_model=list[AccountRead])
def list_accounts(_: AdminDep, session: SessionDep, role: AccountRole | None = None,
                  status_: Annotated[AccountStatus | None, Query(alias="status")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> list[AccountRead]:
    """Accounts with their course enrolments, oldest first."""
    found = service.list_accounts(session, role=role, status=status_, limit=limit, offset=offset)
    return [_read(a) for a in found]


@router.get("/{account_id}", response_model=AccountRead)
def get_account(account_id: uuid.UUID, _: AdminDep, session: SessionDep) -> AccountRead:
    """One account with its enrolments."""
    try:
        return _read(service.get_account(session, account_id=account_id))
    except service.AccountNotFound:
        raise _not_found() from None


def _set_status(session: SessionDep, account_id: uuid.UUID, new: AccountStatus) -> AccountRead:
    try:
        return _read(service.set_status(session, account_id=account_id, status=new))
    except service.AccountNotFound:
        raise _not_found() from None


@router.post("/{account_id}/suspend", response_model=AccountRead)
def suspend_account(account_id: uuid.UUID, _: AdminDep, session: SessionDep) -> AccountRead:
    """Suspend an account: its sessions end and it can no longer enter Moodle."""
    return _set_status(session, account_id, AccountStatus.SUSPENDED)


@router.post("/{account_id}/reactivate", response_model=AccountRead)
def reactivate_account(account_id: uuid.UUID, _: AdminDep, session: SessionDep) -> AccountRead:
    """Lift a suspension."""
    return _set_status(session, account_id, AccountStatus.ACTIVE)


@router.put("/{account_id}/enrolments", response_model=AccountRead)
def set_enrolments(account_id: uuid.UUID, body: EnrolmentsUpdate, _: AdminDep,
                   session: SessionDep) -> AccountRead:
    """Replace an account's course enrolments."""
    try:
        return _read(service.set_enrolments(session, account_id=account_id,
                                            enrolments=body.enrolments))
    except service.AccountNotFound:
        raise _not_found() from None
