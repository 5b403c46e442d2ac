"""The published signing keys, the discovery document, and key rotation for administrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bridge.auth import jwk, jwks_cache, signing_keys
from bridge.auth.dependencies import AUTH_PREFIX, AdminDep, TransactionsDep
from bridge.auth.jwks_cache import JwksCache, Published
from bridge.auth.schemas import KeyRead, KeyRotate
from bridge.auth.sign_in import Transactions
from bridge.config import get_settings
from bridge.deps import SessionDep, SettingsDep

JWKS_PATH = f"{AUTH_PREFIX}/jwks.json"

# Anyone: the keys and the OpenID-style discovery document at the issuer's well-known path.
public = APIRouter(tags=["auth"])
# Administrators: an account with the admin role, or the operator API key.
admin = APIRouter(prefix=AUTH_PREFIX, tags=["auth admin"])


def _rebuild(cache: JwksCache, transactions: Transactions) -> Published:
    with transactions() as session:
        return cache.rebuild(session)


@public.get(JWKS_PATH)
async def jwks(request: Request, transactions: TransactionsDep) -> Response:
    """The public signing keys (next, active, retired-but-needed), with a strong ETag."""
    # Async and from memory: no thread, no connection, unless the keys must be read again.
    cache = jwks_cache.for_app(request.app)
    published = cache.current()
    if published is None:
        published = await run_in_threadpool(_rebuild, cache, transactions)
    headers = {"Cache-Control": f"public, max-age={get_settings().jwks_max_age_s}",
               "ETag": published.etag}
    if published.matches(request.headers.get("if-none-match", "")):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(published.body, media_type="application/json", headers=headers)


@public.get("/.well-known/openid-configuration")
def openid_configuration(settings: SettingsDep) -> JSONResponse:
    """Where verifiers find the issuer's keys and which algorithms and claims it uses."""
    document: dict[str, Any] = {
        "issuer": settings.jwt_issuer,
        "jwks_uri": f"{settings.public_url}{JWKS_PATH}",
        "id_token_signing_alg_values_supported": list(jwk.ALGORITHMS),
        "subject_types_supported": ["public"],
        "response_types_supported": ["id_token"],
        "claims_supported": ["iss", "aud", "sub", "preferred_username", "email", "given_name",
                             "family_name", "iat", "nbf", "exp", "jti", "course_id", "enrol"],
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=3600"})


def _key_read(view: signing_keys.KeyView) -> KeyRead:
    return KeyRead(kid=view.key.kid, alg=view.key.alg, state=view.state,
                   published_at=view.key.created_at, activates_at=view.key.activates_at,
                   retired_at=view.retired_at, unpublish_at=view.unpublish_at)


@admin.get("/keys", response_model=list[KeyRead])
def list_keys(_: AdminDep, session: SessionDep) -> list[KeyRead]:
    """Signing keys and their states (public information only)."""
    return [_key_read(v) for v in signing_keys.list_keys(session)]


@admin.post("/keys/rotate", status_code=status.HTTP_201_CREATED, response_model=KeyRead)
def rotate_keys(body: KeyRotate, _: AdminDep, session: SessionDep) -> KeyRead:
    """Publish a new signing key; it signs once every cached JWKS has seen it."""
    return _key_read(signing_keys.rotate_keys(session, alg=body.alg))


router = APIRouter()
router.include_router(public)
router.include_router(admin)
