"""The JWKS from memory (issue 16): no database read per request, rebuilt when keys change."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bridge.auth import jwk, jwks_cache, signing_keys
from bridge.auth.jwks_cache import JwksCache
from bridge.auth.models import SigningKey
from bridge.auth.repository import SigningKeyRepository
from bridge.db import utcnow

JWKS = "/api/v1/auth/jwks.json"


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the test database runs while the test does."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def kids(response: Any) -> set[str]:
    return {key["kid"] for key in response.json()["keys"]}


def test_the_jwks_is_served_without_reading_the_database(
        client: TestClient, session: Session, statements: list[str]) -> None:
    signing_keys.rotate_keys(session)
    session.commit()
    first = client.get(JWKS)
    assert first.status_code == 200
    statements.clear()

    for _ in range(20):
        assert client.get(JWKS).content == first.content
        assert client.get(JWKS, headers={"If-None-Match": first.headers["etag"]}
                          ).status_code == 304

    assert [s for s in statements if "signing_keys" in s] == []


def test_a_rotation_in_this_process_is_served_at_once(client: TestClient,
                                                      session: Session) -> None:
    signing_keys.rotate_keys(session)
    session.commit()
    before = client.get(JWKS)

    rotated = client.post("/api/v1/auth/keys/rotate", json={"alg": "ES256"}).json()

    after = client.get(JWKS, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and rotated["kid"] in kids(after)
    assert kids(after) == kids(before) | {rotated["kid"]}


def test_a_key_another_process_published_is_served_within_the_refresh_time(
        client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwks_cache, "REFRESH_S", 0.5)
    signing_keys.rotate_keys(session)
    session.commit()
    before = client.get(JWKS)
    # Stored as another process would: this process's key generation does not change.
    private = jwk.generate_private_key("ES256")
    public = jwk.public_jwk(private)
    now = utcnow()
    SigningKeyRepository(session).add(SigningKey(
        kid=public["kid"], alg="ES256", public_jwk=public, private_key_encrypted=b"\x01",
        created_at=now, activates_at=now + timedelta(hours=1)))
    session.commit()

    assert client.get(JWKS).content == before.content  # from memory, until the refresh
    time.sleep(0.6)
    assert kids(client.get(JWKS)) == kids(before) | {public["kid"]}


def test_a_retired_key_leaves_the_cached_jwks_when_its_publication_ends(
        session: Session) -> None:
    old = signing_keys.rotate_keys(session, now=utcnow() - timedelta(days=1))
    new = signing_keys.rotate_keys(session, now=utcnow() - timedelta(hours=2))
    views = {v.key.kid: v for v in signing_keys.list_keys(session, now=utcnow())}
    ends = views[old.key.kid].unpublish_at
    assert ends is not None
    almost = ends - timedelta(seconds=2)
    cache = JwksCache()

    published = cache.rebuild(session, now=almost)

    assert old.key.kid.encode() in published.body and new.key.kid.encode() in published.body
    assert published.fresh_until - time.monotonic() <= 2
    assert cache.rebuild(session, now=ends).body.count(b'"kid"') == 1
