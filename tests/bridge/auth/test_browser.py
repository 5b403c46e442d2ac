"""The browser path: sign-in form, session cookie, then straight into Moodle."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jwt
from fastapi.testclient import TestClient

from bridge.config import get_settings

from .conftest import PASSWORD, MakeAccount, token_from_page

LOGIN = "/api/v1/auth/login"
ENTER = "/api/v1/auth/moodle/enter"
HTML = {"Accept": "text/html,application/xhtml+xml"}


def test_a_browser_signs_in_and_lands_in_moodle(anon: TestClient,
                                                 make_account: MakeAccount) -> None:
    account = make_account(courses=(2,))

    to_sign_in = anon.get(ENTER, params={"course": 2}, headers=HTML, follow_redirects=False)
    assert to_sign_in.status_code == 303
    location = urlsplit(to_sign_in.headers["location"])
    assert location.path == LOGIN
    next_path = parse_qs(location.query)["next"][0]
    assert next_path == f"{ENTER}?course=2"

    page = anon.get(LOGIN, params={"next": next_path})
    assert page.status_code == 200 and 'name="password"' in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "form-action 'self'" in page.headers["content-security-policy"]
    assert f'value="{ENTER}?course=2"' in page.text

    signed = anon.post(LOGIN, data={"login": account.username, "password": PASSWORD,
                                    "next": next_path}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == next_path
    assert "HttpOnly" in signed.headers["set-cookie"]

    entered = anon.get(next_path, headers=HTML)
    assert entered.status_code == 200
    claims = jwt.decode(token_from_page(entered.text), options={"verify_signature": False})
    assert claims["sub"] == str(account.id) and claims["course_id"] == 2


def test_the_form_refuses_politely_and_counts_failures(anon: TestClient,
                                                       make_account: MakeAccount) -> None:
    account = make_account()
    wrong = anon.post(LOGIN, data={"login": account.username, "password": "nope"})
    assert wrong.status_code == 401 and "Wrong email" in wrong.text
    assert "set-cookie" not in wrong.headers
    for _ in range(get_settings().login_max_failures - 1):
        anon.post(LOGIN, data={"login": account.username, "password": "nope"})
    locked = anon.post(LOGIN, data={"login": account.username, "password": PASSWORD})
    assert locked.status_code == 429 and "retry-after" in locked.headers


def test_the_form_accepts_posts_from_the_bridge_only(anon: TestClient,
                                                     make_account: MakeAccount) -> None:
    account = make_account()
    fields = {"login": account.username, "password": PASSWORD}
    origin = "://".join(urlsplit(get_settings().public_url)[:2])

    forged = anon.post(LOGIN, data=fields, headers={"Origin": "https://evil.example"})
    own = anon.post(LOGIN, data=fields, headers={"Origin": origin}, follow_redirects=False)

    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    assert own.status_code == 303
    assert anon.post(LOGIN, json=fields).status_code == 415


def test_no_open_redirect(anon: TestClient, make_account: MakeAccount) -> None:
    account = make_account()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        assert f'value="{ENTER}"' in anon.get(LOGIN, params={"next": target}).text
        signed = anon.post(LOGIN, data={"login": account.username, "password": PASSWORD,
                                        "next": target}, follow_redirects=False)
        assert signed.headers["location"] == ENTER


def test_scripts_without_a_session_get_401(anon: TestClient) -> None:
    assert anon.get(ENTER, headers={"Accept": "application/json"}).status_code == 401


def test_the_sign_in_page_lets_browsers_send_their_origin(anon: TestClient) -> None:
    # With no-referrer, browsers send `Origin: null` on the form's POST (issue 11).
    policy = anon.get(LOGIN).headers["referrer-policy"]
    assert policy == "same-origin"


def test_the_form_accepts_what_a_real_browser_sends_and_refuses_other_sites(
        anon: TestClient, make_account: MakeAccount) -> None:
    account = make_account()
    fields = {"login": account.username, "password": PASSWORD}
    own = "://".join(urlsplit(get_settings().public_url)[:2])

    def code(**headers: str) -> int:
        anon.cookies.clear()
        return anon.post(LOGIN, data=fields, headers=headers, follow_redirects=False).status_code

    # What Chromium sent from a no-referrer page: Origin null, but Sec-Fetch-Site same-origin.
    assert code(Origin="null", **{"Sec-Fetch-Site": "same-origin"}) == 303
    assert code(Origin=own, **{"Sec-Fetch-Site": "same-origin"}) == 303
    assert code(Origin=own) == 303  # a browser without Fetch Metadata
    # Another site, however it is labelled; Sec-Fetch-Site cannot be set by a page.
    assert code(Origin="null") == 403
    assert code(Origin="https://evil.example", **{"Sec-Fetch-Site": "cross-site"}) == 403
    assert code(Origin=own, **{"Sec-Fetch-Site": "cross-site"}) == 403
    assert code(**{"Sec-Fetch-Site": "same-site"}) == 403


def test_entering_moodle_by_post_must_start_on_the_bridge(anon: TestClient,
                                                          make_account: MakeAccount) -> None:
    """Issue 9 item 10: another site's form must not get a login token for the session."""
    account = make_account()
    signed = anon.post(LOGIN, data={"login": account.username, "password": PASSWORD},
                       follow_redirects=False)
    assert signed.status_code == 303 and anon.cookies.get("bridge_session")
    own = "://".join(urlsplit(get_settings().public_url)[:2])

    def enter(method: str, **headers: str) -> tuple[int, str]:
        response = anon.request(method, ENTER, headers={**HTML, **headers})
        return response.status_code, response.text

    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}):
        status_code, body = enter("POST", **headers)
        assert status_code == 403, headers
        assert 'name="token"' not in body
    assert enter("POST", Origin=own)[0] == 200
    assert enter("POST", **{"Sec-Fetch-Site": "same-origin"})[0] == 200
    # A GET is a navigation: Moodle's own links (another site) lead here.
    navigated = enter("GET", **{"Sec-Fetch-Site": "cross-site"})
    assert navigated[0] == 200 and 'name="token"' in navigated[1]
