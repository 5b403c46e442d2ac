"""Entering Moodle: a fresh single-use login token, carried by an auto-submitted form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from bridge.auth import jwks_cache, pages, signing_keys
from bridge.auth.dependencies import AUTH_PREFIX, BrowserAccount, cross_site
from bridge.deps import SessionDep, SettingsDep

router = APIRouter(prefix=f"{AUTH_PREFIX}/moodle", tags=["auth"])


@router.get("/autosubmit.js", include_in_schema=False)
def autosubmit_script() -> Response:
    """The script that submits the Moodle login form (anyone)."""
    return pages.autosubmit_script()


@router.api_route("/enter", methods=["GET", "POST"], response_class=HTMLResponse,
                  responses={403: {"description": "a POST started by another site"}})
def enter_moodle(request: Request, account: BrowserAccount, session: SessionDep,
                 settings: SettingsDep,
                 course: Annotated[int | None, Query(ge=1)] = None) -> HTMLResponse:
    """Log the signed-in account into Moodle (optionally landing on a course).

    A GET is a navigation (Moodle's own links lead here); a POST must come from the bridge's
    own pages, or another site could make a signed-in browser fetch a login token.
    """
    if request.method == "POST" and cross_site(request, settings.public_url):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "entering Moodle by POST must start on the bridge's own pages")
    try:
        keys = jwks_cache.for_app(request.app)
        published = keys.current() or keys.rebuild(session)
        token = signing_keys.mint_moodle_token(session, account=account, course_id=course,
                                               stored=published.keys)
    except signing_keys.KeyUnavailable:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "single sign-on is unavailable: no usable signing key") from None
    return pages.autopost_page(moodle_url=settings.moodle_url, token=token)
