"""Sign-in limits under load, and answers that never tell which logins exist (issue 9).

The race tests run real threads, each with its own connection to the test PostgreSQL and its
own committed transaction (not the rolled-back test session), as parallel requests would.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from functools import partial

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bridge.auth import service
from bridge.auth.models import LoginThrottle
from bridge.auth.schemas import AccountCreate
from bridge.auth.sign_in import sign_in
from bridge.config import get_settings
from bridge.db import session_scope, utcnow
from tests.conftest import TEST_DATABASE_URL

from .conftest import PASSWORD, MakeAccount, within

SESSION = "/api/v1/auth/session"
PARALLEL = 40


def failures(reason: str) -> float:
    """How many sign-ins were refused for `reason` so far (each bad_password is one check)."""
    return REGISTRY.get_sample_value("bridge_sign_in_failures_total", {"reason": reason}) or 0.0


@pytest.fixture
def tag() -> str:
    """Names this test's committed rows, so that it deletes only those."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def committed(engine: Engine, tag: str) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit, on a pool wide enough for every thread at once."""
    wide = sa.create_engine(TEST_DATABASE_URL, pool_size=PARALLEL, max_overflow=0)
    factory = sessionmaker(bind=wide, expire_on_commit=False)
    yield factory
    with wide.begin() as connection:
        connection.execute(sa.text("DELETE FROM accounts WHERE username LIKE :p"),
                           {"p": f"race{tag}%"})
        connection.execute(sa.text("DELETE FROM login_failures WHERE ip LIKE :p"),
                           {"p": f"race-{tag}%"})
        connection.execute(sa.text("DELETE FROM login_throttles"))
    wide.dispose()


def in_parallel(attempt: Callable[[int], str]) -> list[str]:
    """Run `attempt(i)` in PARALLEL threads released at the same instant; their outcomes."""
    barrier = threading.Barrier(PARALLEL)
    outcomes: list[str] = [""] * PARALLEL

    def run(i: int) -> None:
        barrier.wait()
        outcomes[i] = attempt(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes


def attempt_sign_in(factory: sessionmaker[Session], login: str, ip: str) -> str:
    """One sign-in with a wrong password in transactions of its own, as one request does it."""
    try:
        sign_in(partial(session_scope, factory), login=login, password="wrong password", ip=ip)
    except service.Throttled as exc:
        return "locked" if exc.locked else "ip_throttled"
    except service.InvalidCredentials:
        return "invalid"
    except Exception as exc:  # a deadlock, a pool timeout or no free hashing slot shows here
        return f"error: {exc!r}"
    return "signed in"


def test_parallel_wrong_passwords_check_at_most_the_limit(
        committed: sessionmaker[Session], tag: str) -> None:
    settings = get_settings()
    with session_scope(committed) as session:
        service.create_account(session, data=AccountCreate(
            username=f"race{tag}", email=f"race{tag}@example.test", password=PASSWORD))
    checked, locked = failures("bad_password"), failures("locked")

    # A different address each, so that only the account's own limit applies.
    outcomes = in_parallel(lambda i: attempt_sign_in(committed, f"race{tag}", f"race-{tag}-{i}"))

    checks = failures("bad_password") - checked
    print(f"\n{PARALLEL} parallel wrong passwords: {checks:.0f} checked, "
          f"{failures('locked') - locked:.0f} refused as locked")
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert checks == settings.login_max_failures
    assert outcomes.count("invalid") == settings.login_max_failures - 1
    assert outcomes.count("locked") == PARALLEL - settings.login_max_failures + 1


def test_parallel_failures_from_one_address_check_at_most_its_limit(
        committed: sessionmaker[Session], tag: str) -> None:
    settings = get_settings()
    checked = failures("bad_password")

    # Unknown logins, one each: only the address's limit applies.
    outcomes = in_parallel(lambda i: attempt_sign_in(committed, f"race{tag}-nobody{i}",
                                                     f"race-{tag}-shared"))

    checks = failures("bad_password") - checked
    print(f"\n{PARALLEL} parallel failures from one address: {checks:.0f} checked")
    assert not [o for o in outcomes if o.startswith("error")], outcomes
    assert checks == settings.login_ip_max_failures
    assert outcomes.count("ip_throttled") == PARALLEL - settings.login_ip_max_failures


def answers(client: TestClient, login: str, password: str, times: int) -> list[tuple[int, str]]:
    """Status and body of `times` sign-ins (Retry-After aside, which counts down)."""
    seen = []
    for _ in range(times):
        response = client.post(SESSION, json={"login": login, "password": password})
        seen.append((response.status_code, response.text))
        assert ("retry-after" in response.headers) == (response.status_code == 429)
    return seen


def test_known_and_unknown_logins_get_the_same_answers(anon: TestClient,
                                                        make_account: MakeAccount) -> None:
    limit = get_settings().login_max_failures
    account = make_account()

    known = answers(anon, account.username, "wrong password", limit + 2)
    unknown = answers(anon, "nobody.at.all", "wrong password", limit + 2)

    assert known == unknown
    assert [code for code, _ in known] == [401] * (limit - 1) + [429] * 3
    # Even the right password of a locked account answers as an unknown login does.
    assert answers(anon, account.username, PASSWORD, 1) == answers(anon, "nobody.at.all",
                                                                   PASSWORD, 1)


def test_known_and_unknown_logins_take_comparable_time(anon: TestClient,
                                                        make_account: MakeAccount) -> None:
    account = make_account()

    def median_s(login: str) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            anon.post(SESSION, json={"login": login, "password": "wrong password"})
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known, unknown = median_s(account.username), median_s("nobody.at.all")
    print(f"\nwrong password: known login {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    # Both pay for one Argon2 verification; a shortcut for unknown logins would be 10x faster.
    assert 1 / 3 < known / unknown < 3


def test_old_failures_are_forgiven_alike_for_known_and_unknown_logins(
        session: Session, make_account: MakeAccount) -> None:
    settings = get_settings()
    account = make_account()
    start = utcnow()
    later = start + timedelta(seconds=settings.login_lockout_s + 1)

    def outcomes(login: str) -> list[str]:
        seen = []
        moments = [start] * (settings.login_max_failures - 1) + [later] * settings.login_max_failures
        for n, moment in enumerate(moments):
            try:
                sign_in(within(session), login=login, password="wrong password",
                                ip=f"192.0.2.{n}", now=moment)
            except service.Throttled:
                seen.append("locked")
            except service.InvalidCredentials:
                seen.append("invalid")
        return seen

    known, unknown = outcomes(account.username), outcomes("nobody.at.all")

    assert known == unknown
    # The first failures are too old to count: locked only after a full new series.
    assert known == ["invalid"] * (2 * settings.login_max_failures - 2) + ["locked"]


def test_counters_of_unknown_logins_do_not_pile_up(session: Session) -> None:
    settings = get_settings()
    start = utcnow()
    for n in range(3):
        with pytest.raises(service.InvalidCredentials):
            sign_in(within(session), login=f"guess{n}", password="x", ip="192.0.2.50", now=start)
    stored = select(func.count()).select_from(LoginThrottle)
    assert session.scalar(stored) == 3

    later = start + timedelta(seconds=settings.login_lockout_s + 1)
    with pytest.raises(service.InvalidCredentials):
        sign_in(within(session), login="guess-later", password="x", ip="192.0.2.51", now=later)

    assert session.scalar(stored) == 1
