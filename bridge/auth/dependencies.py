"""Who is calling: a signed-in account (session cookie or bearer token) or the operator key."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, cast
from urllib.parse import urlencode

from fastapi import Cookie, Depends, Header, HTTPException, Request, status
from sqlalchemy.orm import Session

from bridge.auth import service
from bridge.auth.models import Account, AccountRole
from bridge.auth.pages import origin
from bridge.auth.sign_in import Transactions
from bridge.deps import SessionDep, SettingsDep, get_session

AUTH_PREFIX = "/api/v1/auth"
SESSION_COOKIE = "bridge_session"
SIGN_IN_PAGE = f"{AUTH_PREFIX}/login"
ENTER_PATH = f"{AUTH_PREFIX}/moodle/enter"
# What a browser's Sec-Fetch-Site says about a request this site's own pages started (`none`:
# the user typed or bookmarked the address).
_OWN_FETCH_SITES = frozenset({"same-origin", "none"})


def cross_site(request: Request, public_url: str) -> bool:
    """Whether a browser says another site started this request (login CSRF, forced entry).

    Sec-Fetch-Site is what every current browser sends and cannot be set by a page; where it
    is missing (older browsers) Origin decides, and `Origin: null` counts as foreign. A client
    that sends neither is no browser, so no other site can have made it send the request.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site.lower() not in _OWN_FETCH_SITES
    presented = request.headers.get("origin")
    return presented is not None and presented != origin(public_url)


async def get_transactions(request: Request) -> Transactions:
    """Short transactions opened on demand, each committed when its block ends.

    Sign-in and the JWKS use these instead of the request's session, so that no connection is
    held while a password is hashed or while the answer is written. They open sessions the way
    the request's session is opened: an app that replaces get_session (tests) replaces them.
    """
    opener = cast(Callable[[], Iterator[Session]],
                  request.app.dependency_overrides.get(get_session, get_session))
    return contextmanager(opener)


TransactionsDep = Annotated[Transactions, Depends(get_transactions)]


def client_ip(request: Request) -> str:
    """The client's address as the server saw it (a forwarded one only from a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def _unauthenticated(detail: str = "sign in first") -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail,
                         headers={"WWW-Authenticate": "Bearer"})


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


def _account(session: SessionDep, token: str | None) -> Account:
    if not token:
        raise _unauthenticated()
    try:
        return service.account_from_session(session, token=token)
    except service.SessionInvalid:
        raise _unauthenticated("session expired or invalid: sign in again") from None
    except service.AccountSuspended:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "account suspended") from None


def get_current_account(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
    bridge_session: Annotated[str | None, Cookie()] = None,
) -> Account:
    """The signed-in, active account: `Authorization: Bearer <session token>` or the cookie."""
    return _account(session, _bearer(authorization) or bridge_session)


CurrentAccount = Annotated[Account, Depends(get_current_account)]


async def get_browser_session(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
    bridge_session: Annotated[str | None, Cookie()] = None,
) -> str | None:
    """The caller's session token; a browser without one is sent to the sign-in page.

    Read without the database: the route checks it with `account_for` in a transaction of
    its own, so that no connection waits on a thread while the request waits for one.
    """
    token = _bearer(authorization) or bridge_session
    if not token and "text/html" in request.headers.get("accept", ""):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = f"{SIGN_IN_PAGE}?{urlencode({'next': target})}"
        raise HTTPException(status.HTTP_303_SEE_OTHER, "sign in first",
                            headers={"Location": location})
    return token


BrowserSession = Annotated[str | None, Depends(get_browser_session)]


def account_for(session: Session, token: str | None) -> Account:
    """The active account of a session token; 401 or 403 as get_current_account answers."""
    return _account(session, token)


@dataclass(frozen=True)
class Administrator:
    """An admin account, or `account=None` for the operator API key."""

    account: Account | None


def require_admin(
    session: SessionDep,
    settings: SettingsDep,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
    bridge_session: Annotated[str | None, Cookie()] = None,
) -> Administrator:
    """The operator API key (`X-API-Key` or bearer), or a signed-in account with the admin role."""
    expected = settings.api_key.get_secret_value().encode()
    if x_api_key is not None:
        if hmac.compare_digest(x_api_key.encode(), expected):
            return Administrator(None)
        raise _unauthenticated("a valid API key is required")
    bearer = _bearer(authorization)
    if bearer is not None and hmac.compare_digest(bearer.encode(), expected):
        return Administrator(None)
    account = _account(session, bearer or bridge_session)
    if account.role is not AccountRole.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "administrators only")
    return Administrator(account)


AdminDep = Annotated[Administrator, Depends(require_admin)]
