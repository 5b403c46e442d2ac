"""SQL for accounts, enrolments, sign-in failures and signing keys."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from bridge.auth.models import (
    Account,
    AccountRole,
    AccountStatus,
    Enrolment,
    LoginFailure,
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

    def by_login(self, login: str) -> Account | None:
        """The account whose email or username is `login` (both stored lower-case)."""
        statement = select(Account).where(or_(Account.email == login, Account.username == login))
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

    def record_failure(self, account_id: uuid.UUID, *, max_failures: int, now: datetime,
                       lock_until: datetime) -> bool:
        """Count a wrong password atomically; lock the account at the threshold. True if locked."""
        failures = self.session.execute(
            update(Account).where(Account.id == account_id)
            .values(failed_logins=Account.failed_logins + 1, modified_at=now)
            .returning(Account.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        if failures < max_failures:
            return False
        self.session.execute(
            update(Account).where(Account.id == account_id)
            .values(failed_logins=0, locked_until=lock_until)
            .execution_options(synchronize_session=False)
        )
        return True


class LoginFailureRepository(Repository[LoginFailure]):
    model = LoginFailure

    def record(self, ip: str, now: datetime) -> None:
        """One failed sign-in from this address."""
        self.session.add(LoginFailure(ip=ip, attempted_at=now))
        self.session.flush()

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
