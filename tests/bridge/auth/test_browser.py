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
