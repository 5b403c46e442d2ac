"""The whole sign-on path in a real browser: Debian's Chromium, headless, driven by Playwright.

From the sign-in page of a real `bridge serve`, through `/api/v1/auth/moodle/enter?course=…`,
to the auto-submitted POST arriving at the Moodle stand-in, with a token that both the
bridge's reference verifier and auth_jwtsso's own PHP validator accept (issue 11).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Request, sync_playwright

from bridge.auth.verify import HttpJwks, Verifier
from tests.conftest import API_KEY, recreate_database
from tests.fakes.moodle import FakeMoodle

from .conftest import PASSWORD
from .served import run_bridge, scratch_database_url, serving

CHROMIUM = "/usr/bin/chromium"  # Debian's package (.ci/services.sh test installs it)
# What works headless as root in CI; the profile is a fresh --user-data-dir per test.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
VALIDATE_PHP = Path(__file__).with_name("jwtsso_validate.php")
DATABASE_URL = scratch_database_url("browser")


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, chromium_sandbox=False)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


@pytest.fixture
def moodle() -> Iterator[FakeMoodle]:
    with FakeMoodle() as site:
        yield site


def php_validate(token: str, jwks: dict[str, Any], issuer: str, audience: str,
                 tmp_path: Path) -> dict[str, Any]:
    """auth_jwtsso's token_validator on the token, run by `php`."""
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks), encoding="utf-8")
    done = subprocess.run(["php", str(VALIDATE_PHP), str(jwks_file), issuer, audience],
                          input=token, capture_output=True, text=True, timeout=60, check=True)
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_a_real_browser_signs_in_and_arrives_in_moodle_with_a_valid_token(
        browser_page: Page, moodle: FakeMoodle, tmp_path: Path) -> None:
    recreate_database(DATABASE_URL)
    run_bridge(DATABASE_URL, "migrate")
    with serving(DATABASE_URL, MOODLE_URL=moodle.url) as bridge:
        created = httpx.post(f"{bridge}/api/v1/auth/accounts", headers={"X-API-Key": API_KEY},
                             json={"username": "ada", "email": "ada@example.test",
                                   "given_name": "Ada", "family_name": "Lovelace",
                                   "password": PASSWORD, "enrolments": [{"course_id": 2}]})
        assert created.status_code == 201, created.text
        sign_in_posts: list[Request] = []
        browser_page.on("request", lambda r: sign_in_posts.append(r)
                        if r.method == "POST" and r.url.endswith("/api/v1/auth/login") else None)

        browser_page.goto(f"{bridge}/api/v1/auth/moodle/enter?course=2")
        assert browser_page.url.startswith(f"{bridge}/api/v1/auth/login?next=")
        browser_page.fill('input[name="login"]', "ada")
        browser_page.fill('input[name="password"]', PASSWORD)
        with browser_page.expect_navigation(url=f"{moodle.url}/auth/jwtsso/login.php",
                                            timeout=30_000):
            browser_page.click('button[type="submit"]')

        assert browser_page.locator("h1").inner_text() == "Logged in"
        [posted] = sign_in_posts
        response = posted.response()
        assert response is not None and response.status == 303
        # What the browser sent: the check passes on what real browsers send, not on a test's.
        assert posted.headers.get("origin") == bridge
        assert posted.all_headers().get("sec-fetch-site") == "same-origin"
        [(token, headers)] = moodle.sso_logins
        assert headers["content-type"] == "application/x-www-form-urlencoded"
        # As Moodle would: the JWKS over HTTP from the running bridge.
        jwks_url = f"{bridge}/api/v1/auth/jwks.json"
        claims = Verifier(HttpJwks(jwks_url), bridge, moodle.url).verify(token)
        jwks = httpx.get(jwks_url).json()

    assert claims["sub"] == created.json()["id"]
    assert claims["preferred_username"] == "ada" and claims["course_id"] == 2
    assert claims["enrol"] is True
    assert php_validate(token, jwks, bridge, moodle.url, tmp_path) == {"claims": claims}
