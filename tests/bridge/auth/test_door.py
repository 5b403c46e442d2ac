"""The door at exam start (issue 16): hashing strength, no connection held while hashing,
old hashes upgraded, and a burst the machine cannot serve told to retry, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bridge.auth import passwords
from bridge.auth.models import Account, LoginFailure
from bridge.auth.schemas import AccountCreate
from bridge.auth.service import create_account
from bridge.auth.sign_in import sign_in
from bridge.db import session_scope
from tests.conftest import TEST_DATABASE_URL

from .conftest import PASSWORD, MakeAccount

SESSION = "/api/v1/auth/session"


def test_new_hashes_are_argon2id_at_owasps_minimum_or_above() -> None:
    parameters = passwords.HASHER.hash("x")
    fields = dict(part.split("=") for part in parameters.split("$")[3].split(","))
    assert parameters.startswith("$argon2id$")
    assert int(fields["m"]) >= 19 * 1024 and int(fields["t"]) >= 2 and int(fields["p"]) >= 1


def test_an_old_hash_is_upgraded_on_the_next_successful_sign_in(
        anon: TestClient, session: Session, make_account: MakeAccount) -> None:
    account = make_account()
    old = PasswordHasher().hash(PASSWORD)  # argon2-cffi's defaults, as stored before issue 16
    assert passwords.needs_rehash(old)
    account.password_hash = old
    session.commit()

    assert anon.post(SESSION, json={"login": account.username, "password": "wrong"}
                     ).status_code == 401
    session.refresh(account)
    assert account.password_hash == old  # a failed sign-in changes no hash

    assert anon.post(SESSION, json={"login": account.username, "password": PASSWORD}
                     ).status_code == 200
    session.refresh(account)
    assert account.password_hash != old and not passwords.needs_rehash(account.password_hash)
    assert passwords.HASHER.verify(account.password_hash, PASSWORD)
    assert anon.post(SESSION, json={"login": account.username, "password": PASSWORD}
                     ).status_code == 200


@pytest.fixture
def small_pool() -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """Committing sessions on a pool of one connection (rows removed afterwards)."""
    engine = sa.create_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0, pool_timeout=5)
    yield engine, sessionmaker(bind=engine, expire_on_commit=False)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM accounts WHERE username = 'door-probe'"))
        connection.execute(sa.text("DELETE FROM login_failures WHERE ip = '192.0.2.200'"))
    engine.dispose()


def test_no_connection_is_held_while_the_password_is_hashed(
        small_pool: tuple[Engine, sessionmaker[Session]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine, factory = small_pool
    with session_scope(factory) as session:
        create_account(session, data=AccountCreate(
            username="door-probe", email="door-probe@example.test", password=PASSWORD))
    held: list[int] = []
    real_verify = passwords.verify

    def probe(stored: str | None, password: str) -> bool:
        held.append(engine.pool.checkedout())  # type: ignore[attr-defined]
        return real_verify(stored, password)

    monkeypatch.setattr(passwords, "verify", probe)
    transactions = partial(session_scope, factory)
    for password in ("wrong", PASSWORD):
        try:
            sign_in(transactions, login="door-probe", password=password, ip="192.0.2.200")
        except Exception as exc:
            assert password == "wrong", exc

    assert held == [0, 0]
    with session_scope(factory) as session:
        stored = session.scalars(select(Account).where(Account.username == "door-probe")).one()
        assert stored.failed_logins == 0 and stored.last_login_at is not None


def test_no_free_hashing_slot_is_a_429_with_retry_after_that_counts_nothing(
        anon: TestClient, session: Session, make_account: MakeAccount,
        monkeypatch: pytest.MonkeyPatch) -> None:
    account = make_account()
    monkeypatch.setattr(passwords, "SLOT_WAIT_S", 0.05)
    failures = select(func.count()).select_from(LoginFailure)
    before = session.scalar(failures)

    with ExitStack() as every_slot:
        for _ in range(passwords.HASHING_THREADS):
            every_slot.enter_context(passwords.hashing_slot())
        busy = anon.post(SESSION, json={"login": account.username, "password": PASSWORD})
        form = anon.post("/api/v1/auth/login",
                         data={"login": account.username, "password": PASSWORD})

    assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
    assert busy.json()["error"] == "busy"
    assert form.status_code == 429 and form.headers["retry-after"] == "1"
    assert session.scalar(failures) == before
    session.refresh(account)
    assert account.failed_logins == 0
    assert anon.post(SESSION, json={"login": account.username, "password": PASSWORD}
                     ).status_code == 200

