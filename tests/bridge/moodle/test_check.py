"""`bridge check-moodle` against the Moodle stand-in and the bridge: each road, good and bad."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from bridge.auth.signing_keys import ensure_signing_key
from bridge.cli import main
from bridge.config import MoodleSite
from bridge.moodle.check import QUIZ_FUNCTIONS, check_site
from tests.fakes.moodle import FakeMoodle


class PluginMoodle(FakeMoodle):
    """The stand-in with local_bridge installed and its functions added to the service."""

    def _ws_core_webservice_get_site_info(self, params: dict[str, Any]) -> Any:
        info = super()._ws_core_webservice_get_site_info(params)
        info["functions"] += [{"name": f, "version": "2026120202"} for f in QUIZ_FUNCTIONS]
        return info


def _site(fake: FakeMoodle, *, token: str | None = None, secret: str | None = None
          ) -> MoodleSite:
    return MoodleSite(url=fake.url, token=SecretStr(token or fake.token),
                      webhook_secret=SecretStr(secret or fake.secret))


def _verdicts(checks: list[Any]) -> list[tuple[str, str]]:
    return [(c.name, "WARN" if c.warning else "OK" if c.ok else "FAIL") for c in checks]


@pytest.fixture
def plugin_site(moodle_site: FakeMoodle) -> FakeMoodle:
    """The stand-in as a configured site, now with local_bridge's functions in the service."""
    moodle_site.__class__ = PluginMoodle
    return moodle_site


def test_every_road_works(plugin_site: FakeMoodle, client: TestClient,
                          session: Session) -> None:
    ensure_signing_key(session)
    session.commit()
    checks = check_site(plugin_site.site, _site(plugin_site), bridge=client)
    assert _verdicts(checks) == [
        ("bridge → Moodle web services (token)", "OK"),
        ("functions in the token's service", "OK"),
        ("Moodle → bridge (signing secret)", "OK"), ("Moodle → JWKS", "OK")]
    assert "Autograder Peer Moodle (Moodle 5.0.6+" in checks[0].detail
    assert "as bridge, user 3" in checks[0].detail
    assert checks[3].detail.endswith("publishes 1 key(s); auth_jwtsso's JWKS URL must be this one")
    assert checks[0].line().startswith(f"OK    {plugin_site.site}  bridge → Moodle")


def test_a_bad_token_and_a_wrong_secret_are_named(plugin_site: FakeMoodle,
                                                  client: TestClient) -> None:
    site = _site(plugin_site, token="not-the-token-0123456789",
                 secret="not-the-secret-0123456789abcdef")
    checks = check_site(plugin_site.site, site, bridge=client)
    verdicts = dict(_verdicts(checks))
    assert verdicts["bridge → Moodle web services (token)"] == "FAIL"
    assert "functions in the token's service" not in verdicts  # nothing to list without one
    assert "invalidtoken" in checks[0].detail and "the token is wrong" in checks[0].detail
    assert verdicts["Moodle → bridge (signing secret)"] == "FAIL"
    assert checks[1].detail == ("HTTP 401: the running bridge has another secret for this "
                                "site")
    assert "not-the-token" not in " ".join(c.line() for c in checks)  # never printed


def test_quiz_functions_missing_is_a_warning(moodle_site: FakeMoodle,
                                             client: TestClient) -> None:
    checks = check_site(moodle_site.site, _site(moodle_site), bridge=client)
    functions = checks[1]
    assert (functions.ok, functions.warning) == (True, True)
    assert "local_bridge_get_attempt_responses" in functions.detail
    assert _verdicts(checks)[3] == ("Moodle → JWKS", "FAIL")  # no key published yet


def test_an_unreachable_moodle_and_bridge(client: TestClient) -> None:
    gone = FakeMoodle()
    gone.start()
    gone.stop()
    site = MoodleSite(url=gone.url, token=SecretStr(gone.token),
                      webhook_secret=SecretStr(gone.secret))
    with httpx.Client(base_url="http://127.0.0.1:9") as nowhere:
        checks = check_site("gone", site, bridge=nowhere)
    assert [c.ok for c in checks] == [False, False, False]
    assert "did not answer: ConnectError" in checks[1].detail


def test_the_command_says_when_there_is_no_such_site(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    assert main(["check-moodle", "--site", "nowhere"]) == 1
    assert capsys.readouterr().out == "no site 'nowhere' in MOODLE_SITES\n"
