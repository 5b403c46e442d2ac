"""`bridge check-moodle`: does each connection between the bridge and a Moodle site work?

Three roads, each checked from this end:
- bridge → Moodle web services: the token answers core_webservice_get_site_info, and the
  functions the bridge calls are in the token's external service;
- Moodle → bridge: a request signed with the site's shared secret is accepted by the running
  bridge at its public URL (POST /api/v1/intake/ping, the call behind the plugin's "Test
  connection" button, which checks Moodle's own copy of the secret);
- Moodle → JWKS: the bridge's public keys are served at its public URL.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

import httpx

from bridge.auth.endpoints.jwks import JWKS_PATH
from bridge.config import MoodleSite
from bridge.intake.signing import signature
from bridge.moodle.client import MoodleClient
from bridge.moodle.errors import MoodleError

ASSIGN_FUNCTIONS = ("core_webservice_get_site_info", "mod_assign_get_assignments",
                    "mod_assign_get_submissions", "mod_assign_get_grades",
                    "mod_assign_save_grade")
QUIZ_FUNCTIONS = ("local_bridge_get_attempt_responses", "local_bridge_save_question_grade",
                  "local_bridge_get_finished_attempts")
PING_PATH = "/api/v1/intake/ping"


@dataclass(frozen=True)
class Check:
    """One connection's verdict; a warning does not fail the check."""

    site: str
    name: str
    ok: bool
    detail: str
    warning: bool = False

    def line(self) -> str:
        """How the command prints it."""
        mark = "WARN" if self.warning else ("OK" if self.ok else "FAIL")
        return f"{mark:<4}  {self.site}  {self.name}: {self.detail}"


def check_site(site_id: str, site: MoodleSite, *, bridge: httpx.Client,
               moodle: MoodleClient | None = None) -> list[Check]:
    """Every check of one configured site; `bridge` is a client on the bridge's public URL."""
    own = moodle is None
    moodle = moodle or MoodleClient(site.url, site.token.get_secret_value(), timeout=10.0)
    try:
        found = _web_services(site_id, moodle)
    finally:
        if own:
            moodle.close()
    return [*found, _signed_ping(site_id, site, bridge), _jwks(site_id, bridge)]


def _web_services(site_id: str, moodle: MoodleClient) -> list[Check]:
    name = "bridge → Moodle web services (token)"
    try:
        info = moodle.get_site_info()
    except MoodleError as exc:
        hint = " (the token is wrong, expired or not the bridge's)" \
            if exc.errorcode == "invalidtoken" else ""
        return [Check(site_id, name, False, f"{exc}{hint}")]
    checks = [Check(site_id, name, True, f"{info.sitename} (Moodle {info.release or '?'}) "
                                         f"as {info.username}, user {info.userid}")]
    offered = {f.name for f in info.functions}
    missing = [f for f in ASSIGN_FUNCTIONS if f not in offered]
    quiz = [f for f in QUIZ_FUNCTIONS if f not in offered]
    functions = "functions in the token's service"
    if missing:
        checks.append(Check(site_id, functions, False, "missing " + ", ".join(missing)
                            + " (add them to the bridge's external service)"))
    elif quiz:
        checks.append(Check(site_id, functions, True, "assignments OK; quizzes need "
                            + ", ".join(quiz) + " (local_bridge installed, added to the "
                            "service)", warning=True))
    else:
        checks.append(Check(site_id, functions, True,
                            f"all {len(ASSIGN_FUNCTIONS) + len(QUIZ_FUNCTIONS)} present"))
    return checks


def _signed_ping(site_id: str, site: MoodleSite, bridge: httpx.Client) -> Check:
    name = "Moodle → bridge (signing secret)"
    body = json.dumps({"schema": 1, "site": site_id, "nonce": secrets.token_hex(16)},
                      separators=(",", ":")).encode()
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Bridge-Site": site_id,
               "X-Bridge-Timestamp": stamp,
               "X-Bridge-Signature": signature(site.webhook_secret.get_secret_value(), stamp,
                                               body)}
    try:
        answer = bridge.post(PING_PATH, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return Check(site_id, name, False, f"the bridge at {bridge.base_url} did not answer: "
                                           f"{type(exc).__name__}")
    if answer.status_code == 200:
        return Check(site_id, name, True, f"{bridge.base_url}{PING_PATH} accepts this site's "
                     "secret; press \"Test connection\" in the plugin's settings to check "
                     "Moodle's copy")
    try:
        error = str(answer.json().get("error", ""))
    except ValueError:
        error = ""
    why = {"bad_signature": "the running bridge has another secret for this site",
           "unknown_site": "the running bridge has no such site in MOODLE_SITES",
           "stale": "the clocks differ by more than the window"}.get(error, error)
    return Check(site_id, name, False, f"HTTP {answer.status_code}" + (f": {why}" if why else ""))


def _jwks(site_id: str, bridge: httpx.Client) -> Check:
    name = "Moodle → JWKS"
    try:
        answer = bridge.get(JWKS_PATH)
        keys = answer.json().get("keys", []) if answer.status_code == 200 else []
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        return Check(site_id, name, False, f"{bridge.base_url}{JWKS_PATH}: "
                                           f"{type(exc).__name__}")
    if not keys:
        return Check(site_id, name, False, f"{bridge.base_url}{JWKS_PATH}: HTTP "
                                           f"{answer.status_code}, no keys (run bridge migrate)")
    return Check(site_id, name, True, f"{bridge.base_url}{JWKS_PATH} publishes {len(keys)} "
                                      "key(s); auth_jwtsso's JWKS URL must be this one")
