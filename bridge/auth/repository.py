"""SQL for accounts, enrolments, sign-in failures and throttles, and signing keys."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from bridge.auth.models import (
    Account,
    AccountRole,
    AccountStatus,
    Enrolment,
    LoginFailure,
    LoginThrottle,
    SigningKey,
)
from bridge.repository import Repository


class AccountRepository(Repository[Account]):
    model = Account

    def get(self, account_id: uuid.UUID, *, with_enrolments: bool = False) -> Account | None:
        statement = select(Account).where(Account.id == account_id)
        if with_enrolments:
            statement = statement.options(selectinload(Account.enrolments))
        return self.session.scalars(statement).first()

    def get_for_update(self, account_id: uuid.UUID) -> Account | None:
        statement = (select(Account).where(Account.id == account_id)
                     .options(selectinload(Account.enrolments)).with_for_update())
        return self.session.scalars(statement).first()

    def matching(self, *, external_id: str | None, email: str,
                 username: str) -> Sequence[Account]:
        """Accounts an upsert could mean: same external id, email or username."""
        conditions = [Account.email == email, Account.username == username]
        if external_id is not None:
            conditions.append(Account.external_id == external_id)
        statement = (select(Account).where(or_(*conditions))
                     .options(selectinload(Account.enrolments)).with_for_update())
        return self.session.scalars(statement).all()

    def page(self, *, role: AccountRole | None, status: AccountStatus | None, limit: int,
             offset: int) -> Sequence[Account]:
        statement = select(Account).options(selectinload(Account.enrolments))
        if role is not None:
            statement = statement.where(Account.role == role)
        if status is not None:
            statement = statement.where(Account.status == status)
        statement = statement.order_by(Account.created_at, Account.id).limit(limit).offset(offset)
        return self.session.scalars(statement).all()

    def set_enrolments(self, account: Account, enrolments: list[Enrolment]) -> None:
        account.enrolments = enrolments
        self.session.flush()

    def enrolment(self, account_id: uuid.UUID, course_id: int) -> Enrolment | None:
        return self.session.get(Enrolment, (account_id, course_id))

    def lock_by_login(self, login: str) -> Account | None:
        """The account `login` names, locked until the transaction ends and read afresh.

        Sign-ins to one account run one at a time from here on, so the failure count each one
        reads is the one the previous one committed: the lockout limit holds under load.
        """
        statement = (select(Account)
                     .where(or_(Account.email == login, Account.username == login))
                     .with_for_update().execution_options(populate_existing=True))
        return self.session.scalars(statement).first()


class LoginThrottleRepository(Repository[LoginThrottle]):
    model = LoginThrottle

    def lock(self, login_digest: str) -> LoginThrottle:
        """The counter of a login that names no account (made at 0), locked like an account."""
        postgresql = self.session.get_bind().dialect.name == "postgresql"
        insert = pg_insert if postgresql else sqlite_insert
        self.session.execute(insert(LoginThrottle)
                             .values(login_digest=login_digest, failed_logins=0)
                             .on_conflict_do_nothing(index_elements=["login_digest"]))
        statement = (select(LoginThrottle).where(LoginThrottle.login_digest == login_digest)
                     .with_for_update().execution_options(populate_existing=True))
        return self.session.scalars(statement).one()

    def purge_before(self, before: datetime, now: datetime, *, keep: str) -> None:
        """Forget counters without a failure since `before` whose lock, if any, is over.

        What is forgotten counts as 0, as an account's failures that old do (see sign_in).
        Counters other sign-ins hold locked are left for later rather than waited for, and
        `keep` (the caller's own) stays.
        """
        stale = (select(LoginThrottle.login_digest)
                 .where(or_(LoginThrottle.last_failed_login_at.is_(None),
                            LoginThrottle.last_failed_login_at < before),
                        or_(LoginThrottle.locked_until.is_(None),
                            LoginThrottle.locked_until < now),
                        LoginThrottle.login_digest != keep)
                 .with_for_update(skip_locked=True))
        self.session.execute(delete(LoginThrottle)
                             .where(LoginThrottle.login_digest.in_(stale))
                             .execution_options(synchronize_session=False))


class LoginFailureRepository(Repository[LoginFailure]):
    model = LoginFailure

    def lock_address(self, ip: str) -> None:
        """Serialise sign-ins from one address until the transaction ends (PostgreSQL).

        Without it, parallel attempts all read the count before any of them adds a failure,
        and the per-address limit lets through as many as arrive at once. SQLite (`make run`)
        already runs one writing transaction at a time.
        """
        if self.session.get_bind().dialect.name != "postgresql":
            return
        key = int.from_bytes(hashlib.sha256(b"login-address:" + ip.encode()).digest()[:8],
                             "big", signed=True)
        self.session.execute(select(func.pg_advisory_xact_lock(key)))

    def record(self, ip: str, now: datetime) -> LoginFailure:
        """One failed sign-in from this address (or a check counted as one until it succeeds)."""
        failure = LoginFailure(ip=ip, attempted_at=now)
        self.session.add(failure)
        self.session.flush()
        return failure

    def forget(self, failure_id: uuid.UUID) -> None:
        """Take back a failure counted ahead of a check that succeeded."""
        self.session.execute(delete(LoginFailure).where(LoginFailure.id == failure_id))

    def since(self, ip: str, since: datetime) -> tuple[int, datetime | None]:
        """How many failures this address had since `since`, and the oldest of them."""
        count, oldest = self.session.execute(
            select(func.count(), func.min(LoginFailure.attempted_at))
            .where(LoginFailure.ip == ip, LoginFailure.attempted_at >= since)
        ).one()
        return count, oldest

    def purge_before(self, before: datetime) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.attempted_at < before))


class SigningKeyRepository(Repository[SigningKey]):
    model = SigningKey

    def all(self) -> Sequence[SigningKey]:
        """Every stored key, oldest activation first."""
        statement = select(SigningKey).order_by(SigningKey.activates_at, SigningKey.created_at)
        return self.session.scalars(statement).all()

    def delete(self, kids: list[str]) -> None:
        if kids:
            self.session.execute(delete(SigningKey).where(SigningKey.kid.in_(kids)))
