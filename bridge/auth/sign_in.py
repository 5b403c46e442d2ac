"""Password sign-in: reserve a check against every limit, hash with no connection held, settle.

Sign-in is throttled twice, both in the database so it holds without Redis and across
processes: per account (`login_max_failures` wrong passwords, none more than `login_lockout_s`
apart, lock it for `login_lockout_s`) and per client address (`login_ip_max_failures` failures
within `login_ip_window_s`). A login that names no account is counted the same way.

A check is counted as a failure *before* the password is hashed, in a short transaction that
holds the address's advisory lock and the account's row lock only for its few statements: so
parallel attempts never see a count without the checks still running, and no more than the
limits allow are ever checked. Argon2 then runs on a hashing slot (passwords.hashing_slot),
outside any transaction and with no database connection held; a second short transaction
takes the failure back if the password matched, or locks the account if it was the last check
the limit allowed. A process that dies in between leaves the failure counted (the safe side).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bridge.auth import passwords
from bridge.auth.jwk import as_utc
from bridge.auth.metrics import SIGN_IN_FAILURES
from bridge.auth.models import Account, AccountStatus
from bridge.auth.repository import (
    AccountRepository,
    LoginFailureRepository,
    LoginThrottleRepository,
)
from bridge.auth.service import AccountSuspended, InvalidCredentials, Throttled
from bridge.config import get_settings
from bridge.db import utcnow

# A unit of work: a session whose transaction commits when the block ends (session_scope).
Transactions = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Attempt:
    """A password check already counted as a failure against the account and the address."""

    login_digest: str
    account_id: uuid.UUID | None
    stored_hash: str | None
    failure_id: uuid.UUID
    # The check the account's limit allowed last: failing it locks the account.
    locks: bool


def sign_in(transactions: Transactions, *, login: str, password: str, ip: str,
            now: datetime | None = None) -> Account:
    """Check a password; raises Throttled, InvalidCredentials, AccountSuspended or HashingBusy.

    Each step runs in its own transaction from `transactions`, and the failure counters are
    committed before this returns or raises. The account comes with its enrolments.
    """
    with passwords.hashing_slot():
        with transactions() as session:
            attempt = _reserve(session, login=login, ip=ip, now=now or utcnow())
        matched = passwords.verify(attempt.stored_hash, password)
        upgraded = None
        if matched and attempt.stored_hash and passwords.needs_rehash(attempt.stored_hash):
            upgraded = passwords.hash_password(password)
    with transactions() as session:
        outcome = _settle(session, attempt, matched=matched, upgraded=upgraded,
                          now=now or utcnow())
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _reserve(session: Session, *, login: str, ip: str, now: datetime) -> Attempt:
    settings = get_settings()
    failures = LoginFailureRepository(session)
    failures.lock_address(ip)
    window_start = now - timedelta(seconds=settings.login_ip_window_s)
    count, oldest = failures.since(ip, window_start)
    if count >= settings.login_ip_max_failures and oldest is not None:
        SIGN_IN_FAILURES.labels(reason="ip_throttled").inc()
        retry_at = as_utc(oldest) + timedelta(seconds=settings.login_ip_window_s)
        raise Throttled(max(retry_at, now + timedelta(seconds=1)), now, locked=False)

    normalised = login.strip().lower()
    digest = hashlib.sha256(normalised.encode()).hexdigest()
    account = AccountRepository(session).lock_by_login(normalised)
    counter = account or LoginThrottleRepository(session).lock(digest)
    if counter.locked_until is not None and as_utc(counter.locked_until) > now:
        SIGN_IN_FAILURES.labels(reason="locked").inc()
        raise Throttled(as_utc(counter.locked_until), now, locked=True)
    forgiven = now - timedelta(seconds=settings.login_lockout_s)
    if (counter.last_failed_login_at is None
            or as_utc(counter.last_failed_login_at) < forgiven):
        counter.failed_logins = 0
    if counter.failed_logins >= settings.login_max_failures:
        # The checks that used up the limit are still running; the last one may lock it.
        SIGN_IN_FAILURES.labels(reason="locked").inc()
        raise Throttled(now + timedelta(seconds=passwords.RETRY_AFTER_S), now, locked=True)
    counter.failed_logins += 1
    counter.last_failed_login_at = now
    failure = failures.record(ip, now)
    return Attempt(login_digest=digest, account_id=account.id if account else None,
                   stored_hash=account.password_hash if account else None,
                   failure_id=failure.id,
                   locks=counter.failed_logins >= settings.login_max_failures)


def _settle(session: Session, attempt: Attempt, *, matched: bool, upgraded: str | None,
            now: datetime) -> Account | Exception:
    """Record the check's result; the account, or the refusal to raise once committed."""
    settings = get_settings()
    account = (AccountRepository(session).get_for_update(attempt.account_id)
               if attempt.account_id is not None else None)
    # A password changed while this one was checked: the check was against the old one.
    if account is None or account.password_hash != attempt.stored_hash:
        matched = False
    failures = LoginFailureRepository(session)
    if not matched:
        failures.purge_before(now - timedelta(seconds=settings.login_ip_window_s))
        forgiven = now - timedelta(seconds=settings.login_lockout_s)
        throttles = LoginThrottleRepository(session)
        throttles.purge_before(forgiven, now, keep=attempt.login_digest)
        SIGN_IN_FAILURES.labels(reason="bad_password").inc()
        if not attempt.locks:
            return InvalidCredentials()
        counter = account or throttles.lock(attempt.login_digest)
        counter.failed_logins = 0
        counter.locked_until = now + timedelta(seconds=settings.login_lockout_s)
        session.flush()
        return Throttled(counter.locked_until, now, locked=True)
    assert account is not None
    failures.forget(attempt.failure_id)
    account.failed_logins = 0
    account.locked_until = None
    if account.status is not AccountStatus.ACTIVE:
        SIGN_IN_FAILURES.labels(reason="suspended").inc()
        session.flush()
        return AccountSuspended()
    account.last_login_at = now
    if upgraded is not None:
        account.password_hash = upgraded
    session.flush()
    return account
