"""Account logic: registration upserts, suspension, sessions (password sign-in: sign_in.py)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import datetime

import jwt
from sqlalchemy.orm import Session

from bridge.auth import passwords
from bridge.auth.jwk import session_signing_key
from bridge.auth.models import Account, AccountRole, AccountStatus, CourseRole, Enrolment
from bridge.auth.repository import AccountRepository
from bridge.auth.schemas import AccountCreate, AccountFields, EnrolmentIn
from bridge.config import get_settings
from bridge.db import utcnow

SESSION_AUDIENCE = "bridge-session"


class AccountNotFound(LookupError):
    pass


class AccountConflict(ValueError):
    """The email, username or external id already belongs to another account."""


class InvalidCredentials(Exception):
    pass


class AccountSuspended(Exception):
    pass


class SessionInvalid(Exception):
    pass


class Throttled(Exception):
    """Too many failures: from this address, or on this account (`locked`)."""

    def __init__(self, retry_after: datetime, now: datetime, *, locked: bool) -> None:
        super().__init__("account locked" if locked else "too many failed sign-ins")
        self.retry_after_s = max(1, math.ceil((retry_after - now).total_seconds()))
        self.locked = locked


def _enrolments(items: list[EnrolmentIn]) -> list[Enrolment]:
    unique = {item.course_id: item.role for item in items}
    return [Enrolment(course_id=course, role=role) for course, role in sorted(unique.items())]


def create_account(session: Session, *, data: AccountCreate) -> Account:
    """Create an account; AccountConflict if its email, username or external id is taken."""
    repo = AccountRepository(session)
    if repo.matching(external_id=data.external_id, email=data.email, username=data.username):
        raise AccountConflict("email, username or external id already in use")
    account = Account(external_id=data.external_id, enrolments=[])
    _apply(account, data)
    repo.add(account)
    return account


def upsert_account(session: Session, *, external_id: str,
                   data: AccountFields) -> tuple[Account, bool]:
    """Create or update the account of a registration system's person; True if created.

    Matched by external id first, then by email (which links an account made by hand).
    """
    repo = AccountRepository(session)
    candidates = repo.matching(external_id=external_id, email=data.email, username=data.username)
    account = next((a for a in candidates if a.external_id == external_id), None)
    if account is None:
        account = next((a for a in candidates if a.email == data.email
                        and a.external_id is None), None)
    if any(other is not account for other in candidates):
        raise AccountConflict("email or username belongs to another account")
    created = account is None
    if account is None:
        account = Account(enrolments=[])
    account.external_id = external_id
    _apply(account, data)
    if created:
        repo.add(account)
    session.flush()
    return account, created


def _apply(account: Account, data: AccountFields) -> None:
    account.username = data.username
    account.email = data.email
    account.given_name = data.given_name
    account.family_name = data.family_name
    account.role = data.role
    if data.password is not None:
        account.password_hash = passwords.hash_password(data.password)
        account.session_version = (account.session_version or 0) + 1
    if data.enrolments is not None:
        account.enrolments = _enrolments(data.enrolments)


def get_account(session: Session, *, account_id: uuid.UUID) -> Account:
    """One account with its enrolments."""
    account = AccountRepository(session).get(account_id, with_enrolments=True)
    if account is None:
        raise AccountNotFound(account_id)
    return account


def list_accounts(session: Session, *, role: AccountRole | None = None,
                  status: AccountStatus | None = None, limit: int = 100,
                  offset: int = 0) -> Sequence[Account]:
    """Accounts with their enrolments, oldest first."""
    return AccountRepository(session).page(role=role, status=status, limit=limit, offset=offset)


def set_status(session: Session, *, account_id: uuid.UUID, status: AccountStatus) -> Account:
    """Suspend (ending every session at once) or reactivate an account."""
    account = AccountRepository(session).get_for_update(account_id)
    if account is None:
        raise AccountNotFound(account_id)
    if account.status != status:
        account.status = status
        account.session_version += 1
    session.flush()
    return account


def set_enrolments(session: Session, *, account_id: uuid.UUID,
                   enrolments: list[EnrolmentIn]) -> Account:
    """Replace an account's course enrolments."""
    repo = AccountRepository(session)
    account = repo.get_for_update(account_id)
    if account is None:
        raise AccountNotFound(account_id)
    repo.set_enrolments(account, _enrolments(enrolments))
    return account


def enrolled_as_student(session: Session, *, account_id: uuid.UUID, course_id: int) -> bool:
    """Whether the registration system put this account in the course as a student."""
    enrolment = AccountRepository(session).enrolment(account_id, course_id)
    return enrolment is not None and enrolment.role is CourseRole.STUDENT


def issue_session_token(*, account: Account, now: datetime | None = None) -> str:
    """A short-lived HS256 session token for the bridge itself (never accepted by Moodle)."""
    settings = get_settings()
    issued = int((now or utcnow()).timestamp())
    claims = {"iss": settings.jwt_issuer, "aud": SESSION_AUDIENCE, "sub": str(account.id),
              "sv": account.session_version, "iat": issued, "exp": issued + settings.session_ttl_s}
    key = session_signing_key(settings.secret_key.get_secret_value())
    return jwt.encode(claims, key, algorithm="HS256", headers={"typ": "bridge-session+jwt"})


def account_from_session(session: Session, *, token: str) -> Account:
    """The active account a session token belongs to; SessionInvalid or AccountSuspended."""
    settings = get_settings()
    try:
        claims = jwt.decode(
            token, session_signing_key(settings.secret_key.get_secret_value()),
            algorithms=["HS256"], audience=SESSION_AUDIENCE, issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "sv"]},
        )
        account_id = uuid.UUID(claims["sub"])
    except (jwt.InvalidTokenError, ValueError):
        raise SessionInvalid() from None
    account = AccountRepository(session).get(account_id)
    if account is None or claims["sv"] != account.session_version:
        raise SessionInvalid()
    if account.status is not AccountStatus.ACTIVE:
        raise AccountSuspended()
    return account
