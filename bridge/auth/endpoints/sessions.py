"""Sessions: password sign-in (JSON and the browser form), sign-out, the signed-in account.

`POST /api/v1/auth/session` (JSON) answers with a short-lived session token (HS256, key
derived from BRIDGE_SECRET_KEY, `session_ttl_s`) in the body and in the `bridge_session`
cookie (HttpOnly, SameSite=Lax, Secure in production or behind https). Browsers use the form at
`GET /api/v1/auth/login`, which sets the same cookie, and then enter Moodle with it; scripts
send `Authorization: Bearer <token>`. Suspension or a new password ends every session at once
(the token carries the account's session version).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bridge.auth import pages, passwords, service
from bridge.auth.dependencies import (
    AUTH_PREFIX,
    ENTER_PATH,
    SESSION_COOKIE,
    SIGN_IN_PAGE,
    CurrentAccount,
    TransactionsDep,
    client_ip,
    cross_site,
)
from bridge.auth.models import Account
from bridge.auth.schemas import AccountRead, SessionRead, SignIn
from bridge.auth.sign_in import sign_in as check_sign_in
from bridge.config import Environment, Settings
from bridge.deps import SessionDep, SettingsDep

MAX_FORM_BYTES = 8192

router = APIRouter(prefix=AUTH_PREFIX, tags=["auth"])


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


@router.post("/session", response_model=SessionRead,
             responses={401: {}, 403: {}, 429: {"description": "throttled or locked"}})
def sign_in(body: SignIn, request: Request, response: Response,
            transactions: TransactionsDep, settings: SettingsDep) -> SessionRead | JSONResponse:
    """Password sign-in (anyone); starts a bridge session."""
    # A sync route: the check runs on the threadpool, never on the event loop. Its transactions
    # are committed before it returns, the refusals' included.
    try:
        account = check_sign_in(transactions, login=body.login, password=body.password,
                                ip=client_ip(request))
    except (passwords.HashingBusy, PoolTimeout):
        return _refusal(429, "busy", "too many sign-ins at once, try again shortly",
                        **{"Retry-After": str(passwords.RETRY_AFTER_S)})
    except service.Throttled as exc:
        error = "account_locked" if exc.locked else "too_many_attempts"
        return _refusal(429, error, "too many failed sign-ins, try again later",
                        **{"Retry-After": str(exc.retry_after_s)})
    except service.InvalidCredentials:
        return _refusal(401, "invalid_credentials", "wrong login or password")
    except service.AccountSuspended:
        return _refusal(403, "account_suspended", "this account is suspended")
    token = _start_session(response, account, settings)
    return SessionRead(access_token=token, expires_in=settings.session_ttl_s,
                       account=AccountRead.model_validate(account))


async def _form_fields(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "a form is expected")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "form too large")
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def sign_in_form(
    next_path: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> HTMLResponse:
    """The browser sign-in page (Moodle's "Bridge sign-in page" setting points here)."""
    return pages.sign_in_page(action=SIGN_IN_PAGE,
                              next_path=pages.safe_next(next_path, ENTER_PATH))


@router.post("/login", include_in_schema=False)
def sign_in_form_submit(form: Annotated[dict[str, str], Depends(_form_fields)],
                        request: Request, transactions: TransactionsDep,
                        settings: SettingsDep) -> Response:
    """Browser sign-in: on success the session cookie, then on to `next` (entering Moodle)."""
    next_path = pages.safe_next(form.get("next"), ENTER_PATH)
    login, password = form.get("login", "")[:254], form.get("password", "")[:1024]

    def again(code: int, error: str, **headers: str) -> HTMLResponse:
        page = pages.sign_in_page(action=SIGN_IN_PAGE, next_path=next_path, login=login,
                                  error=error, status_code=code)
        page.headers.update(headers)
        return page

    # Login CSRF: another site must not sign a browser in to an account of its choosing.
    if cross_site(request, settings.public_url):
        return again(403, "This form must be sent from the bridge's own page.")
    if not login or not password:
        return again(422, "Enter your email or username and your password.")
    try:
        account = check_sign_in(transactions, login=login, password=password,
                                ip=client_ip(request))
    except (passwords.HashingBusy, PoolTimeout):
        return again(429, "Many people are signing in right now. Try again in a moment.",
                     **{"Retry-After": str(passwords.RETRY_AFTER_S)})
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


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(response: Response) -> None:
    """End the browser's session (anyone; drops the cookie, a bearer token expires by itself)."""
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=AccountRead)
def me(account: CurrentAccount, session: SessionDep) -> AccountRead:
    """The signed-in account (session cookie or bearer session token)."""
    return AccountRead.model_validate(service.get_account(session, account_id=account.id))
