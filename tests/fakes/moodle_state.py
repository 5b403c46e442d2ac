"""The stand-in's side of issue 17: the grading-state box, its web-service function, failures.

Mirrors moodle_plugin/local/bridge: `local_bridge_get_grading_state` (classes/external/, the
state mapping of classes/grading_state.php, the English strings of lang/en) answered through
Moodle's AJAX endpoint `/lib/ajax/service.php`; the page a student sees after submitting
(`/local/bridge/standin/view.php?cmid=&as=<user>`), which loads the plugin's real built AMD
module (amd/build/grading_state.min.js) with a RequireJS-compatible `define`/`require` and a
stand-in for `core/ajax`; and failure notices told to teachers once (failure_notices.php), fed
by the fetch_failures task (`POST /_standin/fetch_failures`) or by a failed state seen in a poll.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from tests.fakes.moodle import FakeMoodle

AMD_BUILD = Path(__file__).resolve().parents[2] / "moodle_plugin/local/bridge/amd/build"
POLL_FAST, POLL_SLOW = 2, 10
# lang/en/local_bridge.php, as get_string() fills them in.
STRINGS = {
    "state_checking": "Checking the autograding of your submission…",
    "state_failed": "Your submission could not be graded automatically. Your teacher has been "
                    "told.",
    "state_graded": "Graded automatically: {score} / {maxscore} points. The grade ({grade}) is "
                    "in the gradebook.",
    "state_graded_pending": "Graded automatically: {score} / {maxscore} points. The grade is "
                            "being written to the gradebook…",
    "state_notautograded": "This activity is not graded automatically.",
    "state_queued": "Your submission is queued for autograding…",
    "state_running": "Your submission is being graded now…",
    "state_unavailable": "The autograder cannot be reached just now; your submission is safe "
                         "and will be graded. Checking again shortly…",
    "state_unknown": "Your submission is on its way to the autograder…",
}
# The teachers' wording (teacherstate_*), for a teacher asking about a student.
TEACHER_STRINGS = {
    "failed": "Could not be graded: {reason}",
    "graded": "Graded: {score} / {maxscore}, in the gradebook",
    "graded_pending": "Graded: {score} / {maxscore}, being written to the gradebook",
    "notautograded": "Not graded automatically",
    "queued": "Queued",
    "running": "Being graded",
    "unavailable": "The bridge cannot be reached",
    "unknown": "Nothing received by the bridge",
}
REASONS = {
    "delivery_parked": "the grade could not be written to the gradebook",
    "fetch_failed": "the bridge could not read the submission from Moodle",
    "grading_failed": "the tests could not be run (the exercise or the sandbox failed)",
    "no_exercise": "no exercise is linked to the activity on the bridge",
    "rejected": "the submission cannot be graded (for example, a required file is missing)",
    "unsupported": "the bridge does not grade this kind of activity yet",
}
_FAILURE_ID = re.compile(r"[0-9a-f]{64}")


def from_bridge(answer: dict[str, Any] | None) -> dict[str, Any]:
    """grading_state::from_bridge(): one state of the bridge's answer as the page shows it."""
    shown: dict[str, Any] = {"state": "unavailable", "final": False, "pollafter": POLL_SLOW,
                             "stringid": "state_unavailable", "score": None, "maxscore": None,
                             "grade": None, "ingradebook": False, "reason": "", "detail": "",
                             "failureid": ""}
    state = (answer or {}).get("state")
    if answer is None or state not in ("unknown", "queued", "running", "graded", "failed"):
        return shown
    in_gradebook = bool(answer.get("in_gradebook"))
    final = state == "failed" or (state == "graded" and in_gradebook)
    shown |= {"state": state, "final": final, "stringid": f"state_{state}",
              "pollafter": 0 if final else POLL_FAST if state != "graded" else POLL_SLOW}
    if state == "graded":
        shown |= {"score": answer.get("score"), "maxscore": answer.get("max_score"),
                  "grade": answer.get("grade") if in_gradebook else None,
                  "ingradebook": in_gradebook,
                  "stringid": "state_graded" if in_gradebook else "state_graded_pending"}
    if state == "failed":
        failure_id = str(answer.get("failure_id") or "")
        shown |= {"reason": answer.get("reason") or "", "detail": answer.get("detail") or "",
                  "failureid": failure_id if _FAILURE_ID.fullmatch(failure_id) else ""}
    return shown


def _number(value: float | None) -> str:
    # format_float($x, 2, true, true): two decimals, trailing zeros stripped.
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def message(shown: dict[str, Any]) -> str:
    """grading_states::message()."""
    return STRINGS[shown["stringid"]].format(score=_number(shown["score"]),
                                             maxscore=_number(shown["maxscore"]),
                                             grade=_number(shown["grade"]))


def teacher_message(shown: dict[str, Any]) -> str:
    """grading_states::teacher_message()."""
    key = "graded_pending" if shown["stringid"] == "state_graded_pending" else shown["state"]
    return TEACHER_STRINGS[key].format(score=_number(shown["score"]),
                                       maxscore=_number(shown["maxscore"]),
                                       reason=REASONS.get(shown["reason"], shown["reason"]))


class StateSite:
    """Grading states, failures and the student's page of one FakeMoodle."""

    def __init__(self, moodle: FakeMoodle) -> None:
        self.moodle = moodle
        self.bridge_url: str | None = None
        self.failures: dict[str, dict[str, Any]] = {}   # local_bridge_failure by failureid
        self.messages: list[dict[str, Any]] = []        # what message_send() delivered
        self.failure_since = 0
        self.polls = 0

    def routes(self) -> list[Route]:
        return [
            Route("/lib/ajax/service.php", self._ajax, methods=["POST"]),
            Route("/local/bridge/standin/view.php", self._view),
            Route("/local/bridge/standin/amd.php", self._amd),
            Route("/_standin/bridge", self._set_bridge, methods=["POST"]),
            Route("/_standin/fetch_failures", self._fetch_failures, methods=["POST"]),
            Route("/_standin/messages", self._messages),
        ]

    # -- asking the bridge (bridge_client::grading_states / failures) ------------------------

    async def _ask(self, path: str, question: dict[str, Any]) -> dict[str, Any]:
        if not self.bridge_url:
            raise RuntimeError("the bridge URL is not configured")
        body = json.dumps({"schema": 1, "site": self.moodle.site, "nonce": uuid.uuid4().hex}
                          | question, separators=(",", ":")).encode()
        async with httpx.AsyncClient(base_url=self.bridge_url, timeout=3) as client:
            answer = await client.post(path, content=body, headers=self.moodle.sign(body))
        answer.raise_for_status()
        decoded: dict[str, Any] = answer.json()
        return decoded

    def _kind(self, cmid: int) -> str | None:
        if any(a["cmid"] == cmid for a in self.moodle.assignments.values()):
            return "assign_submission"
        if any(q["cmid"] == cmid for q in self.moodle.quiz_site.quizzes.values()):
            return "quiz_attempt"
        return None

    async def grading_state(self, caller: int, cmid: int, userid: int,
                            attempt: int = -1) -> dict[str, Any]:
        """local_bridge_get_grading_state as `caller` (errors as Moodle raises them)."""
        kind = self._kind(cmid)
        if kind is None:
            raise LookupError("invalidcoursemodule")
        userid = userid or caller
        if userid != caller and caller != self.moodle.TEACHER_USER:
            raise PermissionError("nopermissions")
        key: dict[str, Any] = {"kind": kind, "cmid": cmid, "user_id": userid}
        if attempt >= 0:
            key["attempt_number"] = attempt
        self.polls += 1
        try:
            [answer] = (await self._ask("/api/v1/intake/states", {"items": [key]}))["states"]
        except (httpx.HTTPError, RuntimeError, ValueError, KeyError):
            answer = None
        shown = from_bridge(answer)
        if shown["state"] == "failed" and shown["failureid"]:
            assert answer is not None
            self.record_failure({**answer, "failure_id": shown["failureid"]})
        return {"cmid": cmid, "userid": userid, "state": shown["state"],
                "final": shown["final"],
                "message": message(shown) if userid == caller else teacher_message(shown),
                "score": shown["score"],
                "maxscore": shown["maxscore"], "grade": shown["grade"],
                "ingradebook": shown["ingradebook"], "pollafter": shown["pollafter"],
                "reason": shown["reason"],
                "detail": shown["detail"] if caller == self.moodle.TEACHER_USER else ""}

    # -- failures (failure_notices::record, task fetch_failures) -----------------------------

    def record_failure(self, failure: dict[str, Any]) -> bool:
        """Record a failure and message the teacher, unless its id was recorded before."""
        failure_id = str(failure.get("failure_id") or "")
        if not _FAILURE_ID.fullmatch(failure_id) or failure_id in self.failures:
            return False
        self.failures[failure_id] = failure
        self.messages.append({
            "component": "local_bridge", "name": "gradingfailed",
            "userto": self.moodle.TEACHER_USER, "failure_id": failure_id,
            "subject": f"Autograding failed: user {failure.get('user_id')}, "
                       f"cmid {failure.get('cmid')}",
            "contexturl": f"{self.moodle.url}/local/bridge/grading.php?cmid={failure.get('cmid')}",
        })
        return True

    async def fetch_failures(self) -> int:
        """One run of the fetch_failures task: read /failures from the cursor, record each."""
        since = self.failure_since or int(time.time()) - 7 * 86400
        new = 0
        for _page in range(10):
            answer = await self._ask("/api/v1/intake/failures", {"since": since, "limit": 100})
            new += sum(self.record_failure(f) for f in answer["failures"])
            since = self.failure_since = max(since, int(answer["next_since"]))
            if not answer["more"]:
                break
        return new

    # -- HTTP --------------------------------------------------------------------------------

    async def _ajax(self, request: Request) -> Response:
        """lib/ajax/service.php: a list of {index, methodname, args}, answered in order."""
        caller = int(request.cookies.get("standin_user", "0"))
        calls = json.loads(await request.body())
        answers: list[dict[str, Any]] = []
        for call in calls:
            if caller == 0:
                answers.append({"error": True, "exception": {
                    "errorcode": "servicerequireslogin", "message": "Web service requires login"}})
                continue
            if call.get("methodname") != "local_bridge_get_grading_state":
                answers.append({"error": True, "exception": {
                    "errorcode": "servicenotavailable", "message": "Web service is not available"}})
                continue
            args = call.get("args", {})
            try:
                data = await self.grading_state(caller, int(args["cmid"]),
                                                int(args.get("userid", 0)),
                                                int(args.get("attempt", -1)))
            except (LookupError, PermissionError) as exc:
                answers.append({"error": True, "exception": {"errorcode": str(exc),
                                                             "message": str(exc)}})
                continue
            answers.append({"error": False, "data": data})
        return JSONResponse(answers)

    async def _view(self, request: Request) -> Response:
        """The assignment page of a student who submitted, as hook_callbacks prints it."""
        cmid = int(request.query_params["cmid"])
        user = int(request.query_params["as"])
        page = PAGE.replace("{{cmid}}", str(cmid)).replace(
            "{{checking}}", STRINGS["state_checking"])
        response = HTMLResponse(page)
        response.set_cookie("standin_user", str(user), httponly=True, samesite="strict")
        return response

    async def _amd(self, request: Request) -> Response:
        """The plugin's built AMD module, as Moodle's requirejs.php serves it."""
        name = request.query_params.get("module", "")
        match = re.fullmatch(r"local_bridge/([a-z_]+)", name)
        built = AMD_BUILD / f"{match.group(1)}.min.js" if match else None
        if built is None or not built.is_file():
            return Response("not found", 404)
        return Response(built.read_bytes(), media_type="application/javascript")

    async def _set_bridge(self, request: Request) -> JSONResponse:
        self.bridge_url = (await request.json())["bridge_url"]
        return JSONResponse({"bridge_url": self.bridge_url})

    async def _fetch_failures(self, _: Request) -> JSONResponse:
        return JSONResponse({"new": await self.fetch_failures()})

    async def _messages(self, _: Request) -> JSONResponse:
        return JSONResponse(self.messages)


# The page: Moodle's main region with the box of hook_callbacks.php, a RequireJS-compatible
# loader (named define() modules, "exports" dependencies, as Moodle's built modules need), a
# core/ajax that posts to lib/ajax/service.php, and js_call_amd()'s call of init().
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Python exercise 1</title>
<script>
(function () {
  const registry = {}, loading = {};
  window.define = function (name, deps, factory) { registry[name] = {deps, factory}; };
  window.define.amd = {};
  function fetchScript(name) {
    return new Promise(function (resolve, reject) {
      const script = document.createElement('script');
      script.src = '/local/bridge/standin/amd.php?module=' + encodeURIComponent(name);
      script.onload = resolve;
      script.onerror = function () { reject(new Error('cannot load ' + name)); };
      document.head.appendChild(script);
    });
  }
  function load(name) {
    if (!loading[name]) {
      loading[name] = (registry[name] ? Promise.resolve() : fetchScript(name)).then(function () {
        const found = registry[name], exports = {};
        return Promise.all(found.deps.map(function (dep) {
          return dep === 'exports' ? exports : load(dep);
        })).then(function (args) {
          const value = found.factory.apply(null, args);
          return value === undefined ? exports : value;
        });
      });
    }
    return loading[name];
  }
  window.require = function (names, callback) {
    Promise.all(names.map(load)).then(function (mods) { callback.apply(null, mods); });
  };
  define('core/ajax', [], function () {
    return {call: function (requests) {
      const body = requests.map(function (r, i) {
        return {index: i, methodname: r.methodname, args: r.args};
      });
      const sent = fetch('/lib/ajax/service.php?info=' + requests.map(function (r) {
        return r.methodname; }).join(','), {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
        .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); });
      return requests.map(function (r, i) {
        return sent.then(function (answers) {
          if (answers[i].error) { throw answers[i].exception; }
          return answers[i].data;
        });
      });
    }};
  });
})();
</script></head>
<body><div role="main" id="region-main"><h2>Python exercise 1</h2>
<table class="submissionsummarytable"><tr><th>Submission status</th>
<td>Submitted for grading</td></tr></table></div>
<div id="local-bridge-grading-state-1" class="local-bridge-grading-state alert alert-info"
     role="status" aria-live="polite" data-state="checking">{{checking}}</div>
<script>
window.standinStates = [];
const box = document.getElementById('local-bridge-grading-state-1');
new MutationObserver(function () {
  const last = window.standinStates[window.standinStates.length - 1];
  if (last !== box.dataset.state) { window.standinStates.push(box.dataset.state); }
}).observe(box, {attributes: true, childList: true});
require(['local_bridge/grading_state'], function (m) {
  m.init('local-bridge-grading-state-1', {{cmid}}, 0, -1);
});
</script></body></html>
"""
