"""Signing-key lifecycle, the published JWKS, and minting the tokens Moodle logs users in with.

Rotation is publish-ahead. A new key is stored with `activates_at` = now + the JWKS cache
lifetime (+ a margin), and is published (state *next*) from the moment it is stored. The key
that signs is the one with the latest `activates_at` that has passed (*active*); every older
key is *retired* from the moment its successor activated, and stays published until the last
token it can have signed has expired (retired_at + token TTL + RETIRED_GRACE_S), then is
deleted at the next rotation. Because states follow from timestamps, no job has to flip them
on time, every process agrees, and there is no instant where the signing key is unpublished
or where a JWKS a verifier may still hold from cache lacks it. (auth_jwtsso also refetches the
JWKS once on an unknown kid, so even a cache older than Cache-Control promises recovers.)
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from sqlalchemy import event
from sqlalchemy.orm import Session

from bridge.auth import jwk
from bridge.auth.metrics import TOKENS_ISSUED
from bridge.auth.models import Account, AccountStatus, SigningKey
from bridge.auth.repository import SigningKeyRepository
from bridge.auth.service import AccountSuspended, enrolled_as_student
from bridge.config import Environment, get_settings
from bridge.db import utcnow

log = logging.getLogger(__name__)

DEFAULT_ALG = "RS256"
# Covers clock skew between bridge processes and verifiers on top of the JWKS max-age.
PUBLISH_MARGIN_S = 60
# Covers the verifier's leeway on exp (auth_jwtsso: 30 s by default) and clock skew.
RETIRED_GRACE_S = 300


# Bumped when this process stores or deletes a key (and again once that commits), so that the
# JWKS it serves from memory (jwks_cache) is rebuilt at once; other processes rebuild theirs
# within jwks_cache.REFRESH_S, well inside PUBLISH_MARGIN_S.
_changes = itertools.count(1)
_generation = 0


def keys_generation() -> int:
    """A number that changes whenever this process has changed the stored keys."""
    return _generation


def _keys_changed(session: Session) -> None:
    global _generation
    _generation = next(_changes)

    def committed(_: Session) -> None:
        global _generation
        _generation = next(_changes)

    event.listen(session, "after_commit", committed, once=True)


class KeyState(StrEnum):
    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"


class KeyUnavailable(RuntimeError):
    """No usable signing key (in production: BRIDGE_SECRET_KEY does not open the stored key)."""


@dataclass(frozen=True)
class KeyView:
    key: SigningKey
    state: KeyState
    retired_at: datetime | None = None
    unpublish_at: datetime | None = None

    def published(self, now: datetime) -> bool:
        return self.unpublish_at is None or now < self.unpublish_at


def key_states(stored: Sequence[SigningKey], *, now: datetime) -> list[KeyView]:
    """Each key's state at `now`, oldest activation first."""
    ttl = timedelta(seconds=get_settings().token_ttl_s + RETIRED_GRACE_S)
    ordered = sorted(stored, key=lambda k: (jwk.as_utc(k.activates_at), jwk.as_utc(k.created_at)))
    started = [k for k in ordered if jwk.as_utc(k.activates_at) <= now]
    views = []
    for index, key in enumerate(ordered):
        if jwk.as_utc(key.activates_at) > now:
            views.append(KeyView(key, KeyState.NEXT))
        elif key is started[-1]:
            views.append(KeyView(key, KeyState.ACTIVE))
        else:
            successor = ordered[index + 1]
            # The successor signs only once it exists, even if its activation time is earlier.
            retired_at = jwk.as_utc(max(successor.activates_at, successor.created_at))
            views.append(KeyView(key, KeyState.RETIRED, retired_at, retired_at + ttl))
    return views


def _new_key(session: Session, *, alg: str, now: datetime, activates_at: datetime) -> SigningKey:
    private = jwk.generate_private_key(alg)
    public = jwk.public_jwk(private)
    encrypted = jwk.encrypt_private_key(private, kid=public["kid"],
                                         secret=get_settings().secret_key.get_secret_value())
    _keys_changed(session)
    return SigningKeyRepository(session).add(SigningKey(
        kid=public["kid"], alg=alg, public_jwk=public, private_key_encrypted=encrypted,
        created_at=now, activates_at=activates_at,
    ))


def rotate_keys(session: Session, *, alg: str = DEFAULT_ALG,
                now: datetime | None = None) -> KeyView:
    """Publish a new key that starts signing one JWKS cache lifetime from now.

    With no active key yet (first start) the new key signs at once: no token exists that a
    verifier could fail on. Keys whose tokens have all expired are deleted.
    """
    now = now or utcnow()
    repo = SigningKeyRepository(session)
    views = key_states(repo.all(), now=now)
    repo.delete([v.key.kid for v in views if not v.published(now)])  # _new_key bumps
    if any(v.state is KeyState.ACTIVE for v in views):
        delay = timedelta(seconds=get_settings().jwks_max_age_s + PUBLISH_MARGIN_S)
        key = _new_key(session, alg=alg, now=now, activates_at=now + delay)
    else:
        key = _new_key(session, alg=alg, now=now, activates_at=now)
    log.info("signing key %s (%s) published, signs from %s", key.kid, alg,
             key.activates_at.isoformat())
    return next(v for v in key_states(repo.all(), now=now) if v.key is key)


def ensure_signing_key(session: Session, *, now: datetime | None = None) -> KeyView:
    """The key that signs now, publishing a first one if there is none (a new deployment).

    Run before the bridge answers (`bridge migrate`, `bridge serve`), so the first JWKS that
    Moodle fetches and caches already holds the key the first login token is signed with.
    """
    now = now or utcnow()
    active = next((v for v in list_keys(session, now=now) if v.state is KeyState.ACTIVE), None)
    return active or rotate_keys(session, now=now)


def list_keys(session: Session, *, now: datetime | None = None) -> list[KeyView]:
    """Every stored key with its state (no private material)."""
    return key_states(SigningKeyRepository(session).all(), now=now or utcnow())


def published_jwks(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The public JWKs verifiers may need now: next, active and not yet expired retired keys."""
    now = now or utcnow()
    return [v.key.public_jwk for v in list_keys(session, now=now) if v.published(now)]


def active_key(session: Session, *, now: datetime | None = None,
               stored: Sequence[SigningKey] | None = None) -> tuple[SigningKey, jwk.PrivateKey]:
    """The signing key and its decrypted private half, creating the first key if none signs.

    `stored`: the keys as a cache read them (jwks_cache), instead of reading them now.
    """
    now = now or utcnow()
    settings = get_settings()
    views = key_states(SigningKeyRepository(session).all() if stored is None else stored,
                       now=now)
    active = next((v.key for v in views if v.state is KeyState.ACTIVE), None)
    if active is None:
        active = rotate_keys(session, now=now).key
    try:
        return active, jwk.decrypt_private_key(active.private_key_encrypted, kid=active.kid,
                                                secret=settings.secret_key.get_secret_value())
    except jwk.KeyDecryptionError as exc:
        if settings.environment is Environment.PRODUCTION:
            raise KeyUnavailable(str(exc)) from None
        # Development without BRIDGE_SECRET_KEY gets a new random secret per process: start a
        # key that this process can open, rather than refusing every sign-on.
        log.warning("%s; development: activating a new key now", exc)
        fresh = _new_key(session, alg=active.alg, now=now, activates_at=now)
        return fresh, jwk.decrypt_private_key(fresh.private_key_encrypted, kid=fresh.kid,
                                               secret=settings.secret_key.get_secret_value())


def mint_moodle_token(session: Session, *, account: Account, course_id: int | None = None,
                      now: datetime | None = None,
                      stored: Sequence[SigningKey] | None = None) -> str:
    """A single-use login token for auth_jwtsso: signed by the active key, valid ≤ 60 s."""
    if account.status is not AccountStatus.ACTIVE:
        raise AccountSuspended()
    settings = get_settings()
    now = now or utcnow()
    key, private = active_key(session, now=now, stored=stored)
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.moodle_url,
        "sub": str(account.id),
        "preferred_username": account.username,
        "email": account.email,
        "given_name": account.given_name,
        "family_name": account.family_name,
        "iat": issued,
        "nbf": issued,
        "exp": issued + settings.token_ttl_s,
        "jti": str(uuid.uuid4()),
    }
    if course_id is not None:
        claims["course_id"] = course_id
        claims["enrol"] = enrolled_as_student(session, account_id=account.id, course_id=course_id)
    token = jwt.encode(claims, private, algorithm=key.alg, headers={"kid": key.kid, "typ": "JWT"})
    TOKENS_ISSUED.labels(alg=key.alg).inc()
    return token
