"""The published JWKS, served from memory: rebuilt when keys change, not on every request.

Verifiers (auth_jwtsso) fetch the JWKS on every cache expiry and on every unknown kid, so at
exam start it is asked for as often as the liveness route. Each API process keeps the
serialised document and its ETag; it is rebuilt when this process changes a key
(signing_keys.keys_generation), when a retired key's publication ends, and at most REFRESH_S
after it was read, which is how a key published by another process (another worker, `bridge
keys rotate`) appears. REFRESH_S stays well below signing_keys.PUBLISH_MARGIN_S: a new key is
served everywhere long before it starts signing.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bridge.auth import jwk, signing_keys
from bridge.db import utcnow

REFRESH_S = 10.0
assert REFRESH_S * 3 < signing_keys.PUBLISH_MARGIN_S


@dataclass(frozen=True)
class Published:
    """One serialised JWKS, its strong ETag, and until when this process may serve it."""

    body: bytes
    etag: str
    generation: int
    fresh_until: float  # time.monotonic()

    def matches(self, if_none_match: str) -> bool:
        """Whether an If-None-Match header names this document (or `*`)."""
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return self.etag in tags or "*" in tags


class JwksCache:
    """The JWKS of one app (one process); `current()` is None when it must be rebuilt."""

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
        views = [v for v in signing_keys.list_keys(session, now=now) if v.published(now)]
        body = jwk.jwks_document([v.key.public_jwk for v in views])
        lifetime = min([REFRESH_S] + [(v.unpublish_at - now).total_seconds() for v in views
                                      if v.unpublish_at is not None])
        published = Published(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', generation,
                              time.monotonic() + max(0.0, lifetime))
        self._published = published
        return published
