"""Account logic: registration upserts, suspension, password sign-in with lockout, sessions.

Sign-in is throttled twice, both in the database so it holds without Redis and across
processes: per account (`login_max_failures` wrong passwords, none more than `login_lockout_s`
apart, lock it for `login_lockout_s`) and per client address (`login_ip_max_failures` failures
within `login_ip_window_s`). A login that names no account is counted the same way.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from bridge.auth.jwk import as_utc, session_signing_key
from bridge.auth.metrics import SIGN_IN_FAILURES
from bridge.auth.models import (
    Account,
    AccountRole,
    AccountStatus,
    CourseRole,
    Enrolment,
    LoginThrottle,
)
from bridge.auth.repository import (
    AccountRepository,
    LoginFailureRepository,
    LoginThrottleRepository,
)
from bridge.auth.schemas import AccountCreate, AccountFields, EnrolmentIn
from bridge.config import get_settings
from bridge.db import utcnow

SESSION_AUDIENCE = "bridge-session"
_hasher = PasswordHasher()


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


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


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
        account.password_hash = _hasher.hash(data.password)
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


def sign_in(session: Session, *, login: str, password: str, ip: str,
            now: datetime | None = None) -> Account:
    """Check a password; raises Throttled, InvalidCredentials or AccountSuspended.

    Failures are written to the session, so the caller commits even when it refuses. The
    address and then the account (or the unknown login's counter) stay locked until that
    commit, so parallel attempts are checked one after the other and every limit holds. A
    login that names no account is counted, locked and timed like one that does: the answers
    never tell which logins exist.
    """
    settings = get_settings()
    now = now or utcnow()
    failures = LoginFailureRepository(session)
    failures.lock_address(ip)
    window_start = now - timedelta(seconds=settings.login_ip_window_s)
    count, oldest = failures.since(ip, window_start)
    if count >= settings.login_ip_max_failures and oldest is not None:
        SIGN_IN_FAILURES.labels(reason="ip_throttled").inc()
        retry_at = as_utc(oldest) + timedelta(seconds=settings.login_ip_window_s)
        raise Throttled(retry_at, now, locked=False)

    normalised = login.strip().lower()
    account = AccountRepository(session).lock_by_login(normalised)
    digest = hashlib.sha256(normalised.encode()).hexdigest()
    counter: Account | LoginThrottle = account or LoginThrottleRepository(session).lock(digest)
    if counter.locked_until is not None and as_utc(counter.locked_until) > now:
        SIGN_IN_FAILURES.labels(reason="locked").inc()
        raise Throttled(as_utc(counter.locked_until), now, locked=True)
    forgiven = now - timedelta(seconds=settings.login_lockout_s)
    if (counter.last_failed_login_at is None
            or as_utc(counter.last_failed_login_at) < forgiven):
        counter.failed_logins = 0

    if not _password_matches(account, password):
        failures.purge_before(window_start)
        LoginThrottleRepository(session).purge_before(forgiven, now, keep=digest)
        failures.record(ip, now)
        SIGN_IN_FAILURES.labels(reason="bad_password").inc()
        counter.failed_logins += 1
        counter.last_failed_login_at = now
        if counter.failed_logins >= settings.login_max_failures:
            counter.failed_logins = 0
            counter.locked_until = now + timedelta(seconds=settings.login_lockout_s)
            session.flush()
            raise Throttled(counter.locked_until, now, locked=True)
        session.flush()
        raise InvalidCredentials()
    assert account is not None and account.password_hash is not None
    if account.status is not AccountStatus.ACTIVE:
        SIGN_IN_FAILURES.labels(reason="suspended").inc()
        raise AccountSuspended()
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    session.flush()
    return account


def _password_matches(account: Account | None, password: str) -> bool:
    # Unknown accounts still pay for one hash, so timing does not tell which logins exist.
    stored = account.password_hash if account is not None else None
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


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
