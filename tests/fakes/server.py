"""The Moodle stand-in as a server of its own: `python -m tests.fakes.server --port 80`.

The same FakeMoodle the in-process tests use (recorded responses, quirks included), served by
uvicorn, plus a small control API under `/_standin/` through which a test, running in another
process, sets up assignments and submissions, makes the stand-in send the plugin's signed
notification, switches outages on and off, and reads the grades the bridge pushed. Settings come
from the environment as compose passes them: MOODLE_SITE_ID, MOODLE_WS_TOKEN,
MOODLE_WEBHOOK_SECRET, and STANDIN_PUBLIC_URL (the URL the bridge knows the site by, which
the file URLs it hands out must start with).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import time
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.moodle import TEST_SECRET, TEST_TOKEN, FakeMoodle


class ServedMoodle(FakeMoodle):
    """A FakeMoodle that names itself by its public URL rather than 127.0.0.1:<port>."""

    def __init__(self, public_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.public_url = public_url.rstrip("/")

    @property
    def url(self) -> str:
        return self.public_url

    def _ws_mod_assign_save_grade(self, params: dict[str, Any]) -> Any:
        # When each grade arrived, for the load harness's latency figures.
        answer = super()._ws_mod_assign_save_grade(params)
        self.saved_grades[-1] = params | {"_received_at": time.time()}
        return answer


class Notifier:
    """The plugin's ad-hoc task: POST until the bridge acknowledges, then maybe once more.

    Moodle retries a failed ad-hoc task with a growing delay, signing each attempt anew; an
    attempt whose answer was lost is sent again, so the bridge sees duplicates.
    """

    def __init__(self) -> None:
        self.records: dict[int, dict[str, Any]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, submission_id: int, send: Any, *, duplicate: bool,
              max_delay_s: float) -> dict[str, Any]:
        """Begin delivering one notification in the background; its record is kept here."""
        record = {"submission_id": submission_id, "queued_at": time.time(), "attempts": 0,
                  "statuses": [], "acknowledged_at": None, "duplicate": duplicate}
        self.records[submission_id] = record
        task = asyncio.get_running_loop().create_task(
            self._deliver(record, send, duplicate, max_delay_s))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return record

    async def _deliver(self, record: dict[str, Any], send: Any, duplicate: bool,
                       max_delay_s: float) -> None:
        delay = 0.5
        while True:
            record["attempts"] += 1
            try:
                status = await send()
            except Exception as exc:  # a refused or cut connection: retry
                status = type(exc).__name__
            record["statuses"].append(status)
            if isinstance(status, int) and 200 <= status < 300:
                record["acknowledged_at"] = time.time()
                break
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)
        if duplicate:
            await asyncio.sleep(1.1)  # a new timestamp, so a new signature: not a replay
            try:
                record["duplicate_status"] = await send()
            except Exception as exc:
                record["duplicate_status"] = type(exc).__name__


def control_app(moodle: ServedMoodle) -> Starlette:
    """FakeMoodle's web services plus the `/_standin/` control routes."""
    notifier = Notifier()
    # Seconds each web-service call waits before it is answered (a site that stops answering).
    hang = {"seconds": 0.0}

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def assignment(request: Request) -> JSONResponse:
        spec = await request.json()
        created = moodle.add_assignment(int(spec["id"]), cmid=spec.get("cmid"),
                                        course=int(spec.get("course", 2)),
                                        grade=int(spec.get("grade", 100)))
        return JSONResponse({"id": created["id"], "cmid": created["cmid"]})

    async def submission(request: Request) -> JSONResponse:
        spec = await request.json()
        files = {name: base64.b64decode(data) for name, data in spec["files"].items()}
        made = moodle.add_submission(int(spec["assignment_id"]), int(spec["user_id"]), files,
                                     new_attempt=bool(spec.get("new_attempt", False)))
        return JSONResponse({"id": made.id, "attempt": made.attempt})

    async def send(spec: dict[str, Any], path: str, body: bytes) -> JSONResponse:
        verify: str | bool = spec.get("ca_file") or True
        async with httpx.AsyncClient(base_url=spec["bridge_url"], verify=verify,
                                     timeout=20) as client:
            answer = await client.post(path, content=body, headers=moodle.sign(body))
        return JSONResponse({"status": answer.status_code, "body": answer.text[:2000]})

    async def notify(request: Request) -> JSONResponse:
        """Send the signed notification of a submission, as local_bridge's ad-hoc task does.

        With `"retry": true` it is sent in the background until acknowledged (and, with
        `"duplicate": true`, once more after that); GET /_standin/notifications tells how it went.
        """
        spec = await request.json()
        found = moodle.submissions[int(spec["submission_id"])]
        body = moodle.notification_body(found)
        if not spec.get("retry"):
            return await send(spec, "/api/v1/intake/notifications", body)
        verify: str | bool = spec.get("ca_file") or True
        client = httpx.AsyncClient(base_url=spec["bridge_url"], verify=verify, timeout=20)

        async def attempt() -> int:
            answer = await client.post("/api/v1/intake/notifications", content=body,
                                       headers=moodle.sign(body))
            return answer.status_code

        record = notifier.start(found.id, attempt, duplicate=bool(spec.get("duplicate")),
                                max_delay_s=float(spec.get("max_delay_s", 10)))
        return JSONResponse(record, status_code=202)

    async def notifications(_: Request) -> JSONResponse:
        return JSONResponse(list(notifier.records.values()))

    async def slow(request: Request) -> JSONResponse:
        spec = await request.json()
        hang["seconds"] = float(spec.get("seconds", 0))
        return JSONResponse(hang)

    async def exercise(request: Request) -> JSONResponse:
        """Send an assignment's exercise, as the plugin's activity form does on saving.

        `exercise_yaml` alone is a schema-1 upload; with `files` ({path: base64}) or `archive`
        (a base64 zip) it is schema 2, as when the form's file area holds files.
        """
        spec = await request.json()
        assignment = moodle.assignments[int(spec["assignment_id"])]
        if "files" in spec or "archive" in spec:
            body = moodle.exercise_upload_body(
                assignment["id"], exercise_yaml=spec.get("exercise_yaml"),
                files={p: base64.b64decode(c) for p, c in spec["files"].items()}
                if "files" in spec else None,
                archive=base64.b64decode(spec["archive"]) if "archive" in spec else None)
            return await send(spec, "/api/v1/intake/exercises", body)
        body = json.dumps({
            "schema": 1, "site": moodle.site, "course_id": assignment["course"],
            "cmid": assignment["cmid"], "kind": "assign", "instance_id": assignment["id"],
            "exercise_yaml": spec["exercise_yaml"],
        }, separators=(",", ":")).encode()
        return await send(spec, "/api/v1/intake/exercises", body)

    async def outage(request: Request) -> JSONResponse:
        spec = await request.json()
        moodle.outage = spec.get("status")
        return JSONResponse({"outage": moodle.outage})

    async def saved_grades(_: Request) -> JSONResponse:
        return JSONResponse(moodle.saved_grades)

    async def calls(_: Request) -> JSONResponse:
        counted: dict[str, int] = {}
        for function, _params in moodle.calls:
            counted[function] = counted.get(function, 0) + 1
        return JSONResponse(counted)

    async def hanging_rest(request: Request) -> Any:
        if hang["seconds"]:
            await asyncio.sleep(hang["seconds"])
        return await moodle._rest(request)

    return Starlette(routes=[
        Route("/webservice/rest/server.php", hanging_rest, methods=["GET", "POST"]),
        *moodle.app.routes,
        Route("/_standin/health", health),
        Route("/_standin/assignments", assignment, methods=["POST"]),
        Route("/_standin/submissions", submission, methods=["POST"]),
        Route("/_standin/notify", notify, methods=["POST"]),
        Route("/_standin/exercise", exercise, methods=["POST"]),
        Route("/_standin/outage", outage, methods=["POST"]),
        Route("/_standin/saved_grades", saved_grades),
        Route("/_standin/notifications", notifications),
        Route("/_standin/slow", slow, methods=["POST"]),
        Route("/_standin/calls", calls),
    ])


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    moodle = ServedMoodle(
        os.environ.get("STANDIN_PUBLIC_URL", f"http://{args.host}:{args.port}"),
        token=os.environ.get("MOODLE_WS_TOKEN", TEST_TOKEN),
        site=os.environ.get("MOODLE_SITE_ID", "moodle-test-site"),
        secret=os.environ.get("MOODLE_WEBHOOK_SECRET", TEST_SECRET),
    )
    uvicorn.run(control_app(moodle), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
