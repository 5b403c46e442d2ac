"""`bridge migrate` and `bridge serve` as deployments run them, on a database of their own.

A new deployment publishes a signing key before it answers (issue 11), and the client address
that the per-address sign-in limit counts is the socket's unless a trusted proxy forwarded
the request (issue 9, item 5).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from bridge.auth import signing_keys
from bridge.db import make_engine, session_scope
from bridge.forwarded import TrustedProxies
from tests.conftest import recreate_database

from .served import run_bridge, scratch_database_url, serving

SCRATCH_URL = scratch_database_url("deploy")
SPOOFED = "203.0.113.77"


@pytest.fixture(scope="module")
def deployment() -> Iterator[sa.Engine]:
    """A new, empty database brought up by `bridge migrate` (as compose's migrate service)."""
    recreate_database(SCRATCH_URL)
    run_bridge(SCRATCH_URL, "migrate")
    engine = make_engine(SCRATCH_URL)
    yield engine
    engine.dispose()


def recorded_addresses(engine: sa.Engine) -> list[str]:
    with engine.begin() as connection:
        rows = connection.execute(sa.text("SELECT ip FROM login_failures")).scalars().all()
        connection.execute(sa.text("DELETE FROM login_failures"))
    return list(rows)


def fail_sign_in(base: str, forwarded_for: str) -> int:
    response = httpx.post(f"{base}/api/v1/auth/session",
                          json={"login": f"nobody-{uuid.uuid4().hex}", "password": "wrong"},
                          headers={"X-Forwarded-For": forwarded_for}, timeout=30)
    return response.status_code


def test_a_new_deployment_publishes_a_key_before_anyone_signs_in(deployment: sa.Engine) -> None:
    from sqlalchemy.orm import sessionmaker

    with session_scope(sessionmaker(bind=deployment)) as session:
        after_migrate = [k["kid"] for k in signing_keys.published_jwks(session)]
    assert len(after_migrate) == 1

    with serving(SCRATCH_URL) as base:
        served = httpx.get(f"{base}/api/v1/auth/jwks.json", timeout=10).json()["keys"]
    # The same key: starting again does not add one.
    assert [k["kid"] for k in served] == after_migrate
    assert served[0]["use"] == "sig" and served[0]["alg"] in ("RS256", "ES256")


def test_serve_ignores_forwarded_for_from_untrusted_clients(deployment: sa.Engine) -> None:
    recorded_addresses(deployment)
    with serving(SCRATCH_URL) as base:
        codes = [fail_sign_in(base, f"{SPOOFED[:-2]}{n}") for n in range(3)]
    assert codes == [401] * 3
    # Each request named another address; all were counted against the real one.
    assert recorded_addresses(deployment) == ["127.0.0.1"] * 3


@pytest.mark.parametrize("trusted", ["127.0.0.1", "127.0.0.0/8", "localhost"])
def test_serve_believes_a_trusted_proxy(deployment: sa.Engine, trusted: str) -> None:
    recorded_addresses(deployment)
    with serving(SCRATCH_URL, FORWARDED_ALLOW_IPS=trusted) as base:
        # The client's own claim comes first; the proxy appends the address it saw.
        assert fail_sign_in(base, f"198.51.100.1, {SPOOFED}") == 401
        assert fail_sign_in(base, "not an address") == 401
    assert recorded_addresses(deployment) == [SPOOFED, "127.0.0.1"]


def test_trusted_proxies_parse_addresses_networks_and_names() -> None:
    trusted = TrustedProxies.parse(" 10.0.0.5, 172.16.0.0/12 ,localhost,")
    assert trusted and not TrustedProxies.parse("")
    assert trusted.trusts("10.0.0.5") and trusted.trusts("172.31.1.2")
    assert trusted.trusts("127.0.0.1")  # localhost, looked up
    assert not trusted.trusts("10.0.0.6") and not trusted.trusts("not-an-ip")
    assert not TrustedProxies.parse("no-such-host.invalid").trusts("127.0.0.1")


def test_serve_runs_several_api_processes_that_agree(deployment: sa.Engine) -> None:
    """`bridge serve --workers 2` (compose: WEB_CONCURRENCY): the same JWKS and limits."""
    recorded_addresses(deployment)
    with serving(SCRATCH_URL, WEB_CONCURRENCY="2", FORWARDED_ALLOW_IPS="127.0.0.1") as base:
        with httpx.Client(base_url=base, timeout=10) as client:
            # New connections are spread over the processes; every one serves the same bytes.
            etags = {httpx.get(f"{base}/api/v1/auth/jwks.json", timeout=10).headers["etag"]
                     for _ in range(20)}
            assert len(etags) == 1
            assert client.get("/healthz").status_code == 200
        assert fail_sign_in(base, SPOOFED) == 401  # the trusted proxy reaches the workers
    assert recorded_addresses(deployment) == [SPOOFED]
