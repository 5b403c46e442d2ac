"""Auth API. Each router states who may call it.

Sessions: `POST /api/v1/auth/session` (JSON) answers with a short-lived session token (HS256,
key derived from BRIDGE_SECRET_KEY, `session_ttl_s`) in the body and in the `bridge_session`
cookie (HttpOnly, SameSite=Lax, Secure in production or behind https). Browsers use the form at
`GET /api/v1/auth/login`, which sets the same cookie, and then enter Moodle with it; scripts
send `Authorization: Bearer <token>`. Suspension or a new password ends every session at once
(the token carries the account's session version).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from bridge.auth import key_service, keys, pages, service
from bridge.auth.dependencies import (
    SESSION_COOKIE,
    SIGN_IN_PAGE,
    AdminDep,
    BrowserAccount,
    CurrentAccount,
)
from bridge.auth.models import Account, AccountRole, AccountStatus
from bridge.auth.schemas import (
    AccountCreate,
    AccountFields,
    AccountRead,
    EnrolmentsUpdate,
    KeyRead,
    KeyRotate,
    SessionRead,
    SignIn,
)
from bridge.config import Environment, Settings
from bridge.deps import SessionDep, SettingsDep

PREFIX = "/api/v1/auth"
JWKS_PATH = f"{PREFIX}/jwks.json"
ENTER_PATH = f"{PREFIX}/moodle/enter"

# Anyone: the published keys, discovery, sign-in and sign-out.
public = APIRouter(prefix=PREFIX, tags=["auth"])
# Signed-in accounts (session cookie or bearer session token).
signed_in = APIRouter(prefix=PREFIX, tags=["auth"])
# Administrators: an account with the admin role, or the operator API key.
admin = APIRouter(prefix=PREFIX, tags=["auth admin"])
# Anyone: the OpenID-style discovery document, at the issuer's well-known path.
discovery = APIRouter(tags=["auth"])


@public.get("/jwks.json")
def jwks(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The public signing keys (next, active, retired-but-needed), with a strong ETag."""
    body = keys.jwks_document(key_service.published_jwks(session))
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"Cache-Control": f"public, max-age={settings.jwks_max_age_s}", "ETag": etag}
    presented = request.headers.get("if-none-match", "")
    tags = {tag.strip().removeprefix("W/") for tag in presented.split(",")}
    if etag in tags or "*" in tags:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@discovery.get("/.well-known/openid-configuration")
def openid_configuration(settings: SettingsDep) -> JSONResponse:
    """Where verifiers find the issuer's keys and which algorithms and claims it uses."""
    document: dict[str, Any] = {
        "issuer": settings.jwt_issuer,
        "jwks_uri": f"{settings.public_url}{JWKS_PATH}",
        "id_token_signing_alg_values_supported": list(keys.ALGORITHMS),
        "subject_types_supported": ["public"],
        "response_types_supported": ["id_token"],
        "claims_supported": ["iss", "aud", "sub", "preferred_username", "email", "given_name",
                             "family_name", "iat", "nbf", "exp", "jti", "course_id", "enrol"],
    }
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=3600"})


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _refusal(code: int, error: str, detail: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=code, headers=headers)


def _start_session(response: Response, account: Account, settings: Settings) -> str:
    token = service.issue_session_token(account=account)
    secure = (settings.environment is Environment.PRODUCTION
              or settings.public_url.startswith("https://"))
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_ttl_s, path="/",
                        httponly=True, secure=secure, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return token


@public.post("/session", response_model=SessionRead,
             responses={401: {}, 403: {}, 429: {"description": "throttled or locked"}})
def sign_in(body: SignIn, request: Request, response: Response, session: SessionDep,
            settings: SettingsDep) -> SessionRead | JSONResponse:
    """Password sign-in; starts a bridge session."""
    # Refusals are returned, not raised: the failure counters must be committed.
    try:
        account = service.sign_in(session, login=body.login, password=body.password,
                                  ip=_client_ip(request))
    except service.Throttled as exc:
        error = "account_locked" if exc.locked else "too_many_attempts"
        return _refusal(429, error, "too many failed sign-ins, try again later",
                        **{"Retry-After": str(exc.retry_after_s)})
    except service.InvalidCredentials:
        return _refusal(401, "invalid_credentials", "wrong login or password")
    except service.AccountSuspended:
        return _refusal(403, "account_suspended", "this account is suspended")
    token = _start_session(response, account, settings)
    full = service.get_account(session, account_id=account.id)
    return SessionRead(access_token=token, expires_in=settings.session_ttl_s,
                       account=AccountRead.model_validate(full))


async def _form_fields(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "a form is expected")
    body = await request.body()
    if len(body) > 8192:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "form too large")
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


@public.get("/login", response_class=HTMLResponse, include_in_schema=False)
def sign_in_form(
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> HTMLResponse:
    """The browser sign-in page (Moodle's "Bridge sign-in page" setting points here)."""
    return pages.sign_in_page(action=SIGN_IN_PAGE,
                              next_path=pages.safe_next(next_path, ENTER_PATH))


@public.post("/login", include_in_schema=False)
def sign_in_form_submit(form: Annotated[dict[str, str], Depends(_form_fields)],
                        request: Request, session: SessionDep,
                        settings: SettingsDep) -> Response:
    """Browser sign-in: on success the session cookie, then on to `next` (entering Moodle)."""
    next_path = pages.safe_next(form.get("next"), ENTER_PATH)
    login, password = form.get("login", "")[:254], form.get("password", "")[:1024]

    def again(code: int, error: str, **headers: str) -> HTMLResponse:
        page = pages.sign_in_page(action=SIGN_IN_PAGE, next_path=next_path, login=login,
                                  error=error, status_code=code)
        page.headers.update(headers)
        return page

    # Login CSRF: a browser always sends Origin on a form POST; another site's is refused.
    if request.headers.get("origin", pages.origin(settings.public_url)) != pages.origin(
            settings.public_url):
        return again(403, "This form must be sent from the bridge's own page.")
    if not login or not password:
        return again(422, "Enter your email or username and your password.")
    try:
        account = service.sign_in(session, login=login, password=password,
                                  ip=_client_ip(request))
    except service.Throttled as exc:
        return again(429, "Too many failed sign-ins. Try again later.",
                     **{"Retry-After": str(exc.retry_after_s)})
    except service.InvalidCredentials:
        return again(401, "Wrong email, username or password.")
    except service.AccountSuspended:
        return again(403, "This account is suspended.")
    redirect = RedirectResponse(next_path, status_code=status.HTTP_303_SEE_OTHER)
    _start_session(redirect, account, settings)
    return redirect


@public.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(response: Response) -> None:
    """End the browser's session (drops the cookie; a bearer token expires by itself)."""
    response.delete_cookie(SESSION_COOKIE, path="/")


@public.get("/moodle/autosubmit.js", include_in_schema=False)
def autosubmit_script() -> Response:
    """The script that submits the Moodle login form."""
    return pages.autosubmit_script()


@signed_in.get("/me", response_model=AccountRead)
def me(account: CurrentAccount, session: SessionDep) -> AccountRead:
    """The signed-in account."""
    return AccountRead.model_validate(service.get_account(session, account_id=account.id))


@signed_in.api_route("/moodle/enter", methods=["GET", "POST"], response_class=HTMLResponse)
def enter_moodle(account: BrowserAccount, session: SessionDep, settings: SettingsDep,
                 course: Annotated[int | None, Query(ge=1)] = None) -> HTMLResponse:
    """Log the signed-in account into Moodle (optionally landing on a course)."""
    try:
        token = key_service.mint_moodle_token(session, account=account, course_id=course)
    except key_service.KeyUnavailable:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "single sign-on is unavailable: no usable signing key") from None
    return pages.autopost_page(moodle_url=settings.moodle_url, token=token)


def _read(account: Account) -> AccountRead:
    return AccountRead.model_validate(account)


@admin.post("/accounts", status_code=status.HTTP_201_CREATED, response_model=AccountRead)
def create_account(body: AccountCreate, _: AdminDep, session: SessionDep) -> AccountRead:
    """Create an account."""
    try:
        return _read(service.create_account(session, data=body))
    except service.AccountConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@admin.put("/accounts/by-external-id/{external_id}", response_model=AccountRead,
           responses={201: {"model": AccountRead}})
def upsert_account(external_id: Annotated[str, Path(min_length=1, max_length=200)],
                   body: AccountFields, response: Response, _: AdminDep,
                   session: SessionDep) -> AccountRead:
    """Create or update a registration system's person (idempotent); 201 when created."""
    try:
        account, created = service.upsert_account(session, external_id=external_id, data=body)
    except service.AccountConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _read(account)


@admin.get("/accounts", response_model=list[AccountRead])
def list_accounts(_: AdminDep, session: SessionDep, role: AccountRole | None = None,
                  status_: Annotated[AccountStatus | None, Query(alias="status")] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> list[AccountRead]:
    """Accounts with their course enrolments, oldest first."""
    found = service.list_accounts(session, role=role, status=status_, limit=limit, offset=offset)
    return [_read(a) for a in found]


@admin.get("/accounts/{account_id}", response_model=AccountRead)
def get_account(account_id: uuid.UUID, _: AdminDep, session: SessionDep) -> AccountRead:
    """One account with its enrolments."""
    try:
        return _read(service.get_account(session, account_id=account_id))
    except service.AccountNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "account not found") from None


def _set_status(session: SessionDep, account_id: uuid.UUID, new: AccountStatus) -> AccountRead:
    try:
        return _read(service.set_status(session, account_id=account_id, status=new))
    except service.AccountNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "account not found") from None


@admin.post("/accounts/{account_id}/suspend", response_model=AccountRead)
def suspend_account(account_id: uuid.UUID, _: AdminDep, session: SessionDep) -> AccountRead:
    """Suspend an account: its sessions end and it can no longer enter Moodle."""
    return _set_status(session, account_id, AccountStatus.SUSPENDED)


@admin.post("/accounts/{account_id}/reactivate", response_model=AccountRead)
def reactivate_account(account_id: uuid.UUID, _: AdminDep, session: SessionDep) -> AccountRead:
    """Lift a suspension."""
    return _set_status(session, account_id, AccountStatus.ACTIVE)


@admin.put("/accounts/{account_id}/enrolments", response_model=AccountRead)
def set_enrolments(account_id: uuid.UUID, body: EnrolmentsUpdate, _: AdminDep,
                   session: SessionDep) -> AccountRead:
    """Replace an account's course enrolments."""
    try:
        return _read(service.set_enrolments(session, account_id=account_id,
                                            enrolments=body.enrolments))
    except service.AccountNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "account not found") from None


def _key_read(view: key_service.KeyView) -> KeyRead:
    return KeyRead(kid=view.key.kid, alg=view.key.alg, state=view.state,
                   published_at=view.key.created_at, activates_at=view.key.activates_at,
                   retired_at=view.retired_at, unpublish_at=view.unpublish_at)


@admin.get("/keys", response_model=list[KeyRead])
def list_keys(_: AdminDep, session: SessionDep) -> list[KeyRead]:
    """Signing keys and their states (public information only)."""
    return [_key_read(v) for v in key_service.list_keys(session)]


@admin.post("/keys/rotate", status_code=status.HTTP_201_CREATED, response_model=KeyRead)
def rotate_keys(body: KeyRotate, _: AdminDep, session: SessionDep) -> KeyRead:
    """Publish a new signing key; it signs once every cached JWKS has seen it."""
    return _key_read(key_service.rotate_keys(session, alg=body.alg))


router = APIRouter()
for _router in (public, signed_in, admin, discovery):
    router.include_router(_router)
