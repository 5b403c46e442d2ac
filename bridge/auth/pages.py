"""The page that carries a login token to Moodle in a POST body, never in a URL."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse, Response

AUTOSUBMIT_PATH = "/api/v1/auth/moodle/autosubmit.js"
# Served as a file rather than inline: Caddy's site-wide CSP has no 'unsafe-inline', and a
# same-origin script is allowed by both that policy and ours.
AUTOSUBMIT_JS = 'document.getElementById("moodle-sso").submit();\n'

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Opening Moodle</title>
<script src="{script}" defer></script>
</head>
<body>
<form id="moodle-sso" method="post" action="{action}">
<input type="hidden" name="token" value="{token}">
<p>Opening Moodle&hellip;</p>
<noscript><p>JavaScript is off: press the button to continue.</p></noscript>
<button type="submit">Continue to Moodle</button>
</form>
</body>
</html>
"""


_SIGN_IN = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in</title>
</head>
<body>
<h1>Sign in</h1>
{message}<form method="post" action="{action}">
<input type="hidden" name="next" value="{next}">
<p><label>Email or username<br><input name="login" value="{login}" autocomplete="username"
 required maxlength="254"></label></p>
<p><label>Password<br><input name="password" type="password" autocomplete="current-password"
 required maxlength="1024"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
</body>
</html>
"""
_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": ("default-src 'none'; form-action 'self'; base-uri 'none'; "
                                "frame-ancestors 'none'"),
    # Not no-referrer: with it browsers send `Origin: null` on the form's POST, which the
    # login-CSRF check must refuse. same-origin sends the real Origin to the bridge only.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def safe_next(target: str | None, default: str) -> str:
    """A same-site path to go to after signing in (never another site: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def sign_in_page(*, action: str, next_path: str, login: str = "", error: str | None = None,
                 status_code: int = 200) -> HTMLResponse:
    """The password form for browsers; it POSTs to `action` and then goes to `next_path`."""
    message = f'<p role="alert">{html.escape(error)}</p>\n' if error else ""
    body = _SIGN_IN.format(message=message, action=html.escape(action, quote=True),
                           next=html.escape(next_path, quote=True),
                           login=html.escape(login, quote=True))
    return HTMLResponse(body, status_code=status_code, headers=_PAGE_HEADERS)


def origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def autopost_page(*, moodle_url: str, token: str) -> HTMLResponse:
    """An HTML page that POSTs `token` to auth_jwtsso's login.php as soon as it loads."""
    action = f"{moodle_url}/auth/jwtsso/login.php"
    body = _PAGE.format(script=AUTOSUBMIT_PATH, action=html.escape(action, quote=True),
                        token=html.escape(token, quote=True))
    # form-action names Moodle's origin, not the login.php path: browsers apply form-action to
    # the redirects that follow the POST, and Moodle redirects to the course page.
    csp = (f"default-src 'none'; script-src 'self'; form-action {origin(moodle_url)}; "
           "base-uri 'none'; frame-ancestors 'none'")
    return HTMLResponse(body, headers={
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    })


def autosubmit_script() -> Response:
    """The script the page loads to submit its form."""
    return Response(AUTOSUBMIT_JS, media_type="text/javascript", headers={
        "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff",
    })
