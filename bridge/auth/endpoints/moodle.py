"""Entering Moodle: a fresh single-use login token, carried by an auto-submitted form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bridge.auth import jwks_cache, pages, signing_keys
from bridge.auth.dependencies import (
    AUTH_PREFIX,
    BrowserSession,
    TransactionsDep,
    account_for,
    cross_site,
)
from bridge.config import get_settings

router = APIRouter(prefix=f"{AUTH_PREFIX}/moodle", tags=["auth"])


@router.get("/autosubmit.js", include_in_schema=False)
def autosubmit_script() -> Response:
    """The script that submits the Moodle login form (anyone)."""
    return pages.autosubmit_script()


@router.api_route("/enter", methods=["GET", "POST"], response_class=HTMLResponse,
                  responses={403: {"description": "a POST started by another site"},
                             429: {"description": "too many at once, retry"}})
def enter_moodle(request: Request, token: BrowserSession, transactions: TransactionsDep,
                 course: Annotated[int | None, Query(ge=1)] = None) -> HTMLResponse:
    """Log the signed-in account into Moodle (optionally landing on a course).

    A GET is a navigation (Moodle's own links lead here); a POST must come from the bridge's
    own pages, or another site could make a signed-in browser fetch a login token.
    """
    settings = get_settings()
    if request.method == "POST" and cross_site(request, settings.public_url):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "entering Moodle by POST must start on the bridge's own pages")
    keys = jwks_cache.for_app(request.app)
    try:
        # One short transaction in this thread, committed before the answer: a connection is
        # never held by a request that waits for a thread (exam start: hundreds at once).
        with transactions() as session:
            account = account_for(session, token)
            published = keys.current() or keys.rebuild(session)
            login_token = signing_keys.mint_moodle_token(session, account=account,
                                                         course_id=course,
                                                         stored=published.keys)
    except signing_keys.KeyUnavailable:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "single sign-on is unavailable: no usable signing key") from None
    except PoolTimeout:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "busy, try again shortly",
                            headers={"Retry-After": "1"}) from None
    return pages.autopost_page(moodle_url=settings.moodle_url, token=login_token)
