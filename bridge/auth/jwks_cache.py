"""The signing keys and the published JWKS from memory: read again when keys change.

Verifiers (auth_jwtsso) fetch the JWKS on every cache expiry and on every unknown kid, and
every student entering Moodle has a token minted, so at exam start both are asked for as often
as the liveness route. Each API process keeps the stored keys (public and encrypted halves),
the serialised document and its ETag; they are read again when this process changes a key
(signing_keys.keys_generation), when a retired key's publication ends, and at most REFRESH_S
after it was read, which is how a key published by another process (another worker, `bridge
keys rotate`) appears. REFRESH_S stays well below signing_keys.PUBLISH_MARGIN_S: a new key is
served everywhere long before it starts signing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bridge.auth import jwk, signing_keys
from bridge.auth.models import SigningKey
from bridge.auth.repository import SigningKeyRepository
from bridge.db import utcnow

REFRESH_S = 10.0
assert REFRESH_S * 3 < signing_keys.PUBLISH_MARGIN_S


@dataclass(frozen=True)
class Published:
    """The stored keys, their JWKS and its strong ETag, and until when they may be used."""

    keys: Sequence[SigningKey]  # detached copies: no session, safe to share between threads
    body: bytes
    etag: str
    generation: int
    fresh_until: float  # time.monotonic()

    def matches(self, if_none_match: str) -> bool:
        """Whether an If-None-Match header names this document (or `*`)."""
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return self.etag in tags or "*" in tags


class JwksCache:
    """The keys of one app (one process); `current()` is None when they must be read again."""

    def __init__(self) -> None:
        self._published: Published | None = None

    def current(self) -> Published | None:
        """The document to serve now, if it is still fresh."""
        published = self._published
        if (published is None or published.generation != signing_keys.keys_generation()
                or time.monotonic() >= published.fresh_until):
            return None
        return published

    def rebuild(self, session: Session, *, now: datetime | None = None) -> Published:
        """Read the keys and keep the document until keys change or REFRESH_S passes."""
        generation = signing_keys.keys_generation()  # before reading: a change meanwhile wins
        now = now or utcnow()
        keys = [_copy(key) for key in SigningKeyRepository(session).all()]
        views = [v for v in signing_keys.key_states(keys, now=now) if v.published(now)]
        body = jwk.jwks_document([v.key.public_jwk for v in views])
        lifetime = min([REFRESH_S] + [(v.unpublish_at - now).total_seconds() for v in views
                                      if v.unpublish_at is not None])
        published = Published(keys, body, f'"{hashlib.sha256(body).hexdigest()[:32]}"',
                              generation, time.monotonic() + max(0.0, lifetime))
        self._published = published
        return published


def _copy(key: SigningKey) -> SigningKey:
    return SigningKey(kid=key.kid, alg=key.alg, public_jwk=dict(key.public_jwk),
                      private_key_encrypted=bytes(key.private_key_encrypted),
                      created_at=key.created_at, activates_at=key.activates_at)


def for_app(app: object) -> JwksCache:
    """The cache of one application (tests make an app per test, each on its own data)."""
    state = app.state  # type: ignore[attr-defined]
    cache = getattr(state, "jwks_cache", None)
    if cache is None:
        cache = state.jwks_cache = JwksCache()
    return cache
