"""The Moodle stand-in as a server of its own: `python -m tests.fakes.server --port 80`.

The same FakeMoodle the in-process tests use (recorded responses, quirks included), served by
uvicorn, plus a small control API under `/_standin/` through which a test, running in another
process, sets up assignments and submissions, makes the stand-in send the plugin's signed
notification, switches outages on and off, and reads the grades the bridge pushed; quizzes too
(`/_standin/quizzes...`: questions, attempts, a teacher's hand marks, each attempt's marks).
Settings come from the environment as compose passes them: MOODLE_SITE_ID, MOODLE_WS_TOKEN,
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
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.moodle import TEST_SECRET, TEST_TOKEN, FakeMoodle
from tests.fakes.moodle_quiz import FakeQuizQuestion


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
        self.records: dict[str, dict[str, Any]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, submission_id: int, send: Any, *, duplicate: bool,
              max_delay_s: float, kind: str = "assign_submission") -> dict[str, Any]:
        """Begin delivering one notification in the background; its record is kept here."""
        key = "submission_id" if kind == "assign_submission" else "attempt_id"
        record = {key: submission_id, "queued_at": time.time(), "attempts": 0,
                  "statuses": [], "acknowledged_at": None, "duplicate": duplicate}
        self.records[f"{kind}:{submission_id}"] = record
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
        *quiz_routes(moodle, notifier, send),
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


def quiz_routes(moodle: ServedMoodle, notifier: Notifier,
                send: Callable[[dict[str, Any], str, bytes], Awaitable[JSONResponse]]
                ) -> list[Route]:
    """`/_standin/quizzes...`: set up quizzes and attempts, send the plugin's quiz requests,
    play the teacher, and read an attempt's marks (tests/fakes/moodle_quiz.py holds the state)."""
    quizzes = moodle.quiz_site

    async def quiz(request: Request) -> JSONResponse:
        """A quiz: {"id", "cmid"?, "course"?, "grade"?, "timeclose"?, "questions"?:
        [{"question_id", "bank_entry_id", "qtype"?, "maxmark"?, "linked"?}]} (default: two
        essays, a true/false; no close date)."""
        spec = await request.json()
        questions = [FakeQuizQuestion(
            question_id=int(q["question_id"]), bank_entry_id=int(q["bank_entry_id"]),
            qtype=str(q.get("qtype", "essay")), maxmark=float(q.get("maxmark", 10.0)),
            linked=bool(q.get("linked", True))) for q in spec["questions"]
        ] if "questions" in spec else None
        made = moodle.add_quiz(int(spec["id"]), cmid=spec.get("cmid"),
                               course=int(spec.get("course", 2)),
                               grade=float(spec.get("grade", 100)), questions=questions,
                               timeclose=int(spec.get("timeclose", 0)))
        return JSONResponse({"id": made["id"], "cmid": made["cmid"],
                             "slots": [q.bank_entry_id for q in made["questions"]]})

    async def reorder(request: Request) -> JSONResponse:
        """A teacher moves questions: {"bank_entry_ids": [...]} in their new slot order."""
        spec = await request.json()
        quizzes.reorder(int(request.path_params["quiz_id"]),
                        [int(e) for e in spec["bank_entry_ids"]])
        return JSONResponse({"ok": True})

    async def attempt(request: Request) -> JSONResponse:
        """A student's attempt: {"quiz_id", "user_id", "answers": {slot: text},
        "answerformat"?, "state"? ("finished" or "inprogress")}."""
        spec = await request.json()
        made = moodle.add_quiz_attempt(int(spec["quiz_id"]), int(spec["user_id"]),
                                       {int(k): str(v) for k, v in spec["answers"].items()},
                                       answerformat=int(spec.get("answerformat", 2)),
                                       state=str(spec.get("state", "finished")))
        return JSONResponse({"id": made.id, "attempt": made.attempt})

    async def read_attempt(request: Request) -> JSONResponse:
        return JSONResponse(quizzes.summary(int(request.path_params["attempt_id"])))

    async def finish(request: Request) -> JSONResponse:
        """The student (or cron) submits an attempt that was in progress."""
        finished = quizzes.finish(int(request.path_params["attempt_id"]))
        return JSONResponse(quizzes.summary(finished.id))

    async def teacher_grade(request: Request) -> JSONResponse:
        """A teacher marks a question by hand: {"slot", "mark", "comment"?}."""
        spec = await request.json()
        attempt_id = int(request.path_params["attempt_id"])
        moodle.teacher_grades_question(attempt_id, int(spec["slot"]), float(spec["mark"]),
                                       str(spec.get("comment", "Marked by hand")))
        return JSONResponse(quizzes.summary(attempt_id))

    async def question_exercise(request: Request) -> JSONResponse:
        """Send one question's exercise.yaml, as the plugin's questions page does on saving:
        {"quiz_id", "bank_entry_id", "exercise_yaml", "bridge_url", "ca_file"?}."""
        spec = await request.json()
        body = moodle.quiz_exercise_body(int(spec["quiz_id"]), int(spec["bank_entry_id"]),
                                         str(spec["exercise_yaml"]))
        return await send(spec, "/api/v1/intake/exercises", body)

    async def notify(request: Request) -> JSONResponse:
        """Send an attempt's signed attempt_submitted notification ({"attempt_id",
        "bridge_url"}); with "retry" / "duplicate" as /_standin/notify does."""
        spec = await request.json()
        found = quizzes.attempts[int(spec["attempt_id"])]
        body = moodle.quiz_notification_body(found)
        if not spec.get("retry"):
            return await send(spec, "/api/v1/intake/notifications", body)
        verify: str | bool = spec.get("ca_file") or True
        client = httpx.AsyncClient(base_url=spec["bridge_url"], verify=verify, timeout=20)

        async def attempt_once() -> int:
            answer = await client.post("/api/v1/intake/notifications", content=body,
                                       headers=moodle.sign(body))
            return answer.status_code

        record = notifier.start(found.id, attempt_once, duplicate=bool(spec.get("duplicate")),
                                max_delay_s=float(spec.get("max_delay_s", 10)),
                                kind="quiz_attempt")
        return JSONResponse(record, status_code=202)

    return [
        Route("/_standin/quizzes", quiz, methods=["POST"]),
        Route("/_standin/quizzes/{quiz_id:int}/order", reorder, methods=["POST"]),
        Route("/_standin/quizzes/exercise", question_exercise, methods=["POST"]),
        Route("/_standin/quizzes/attempts", attempt, methods=["POST"]),
        Route("/_standin/quizzes/attempts/{attempt_id:int}", read_attempt),
        Route("/_standin/quizzes/attempts/{attempt_id:int}/finish", finish, methods=["POST"]),
        Route("/_standin/quizzes/attempts/{attempt_id:int}/grade", teacher_grade,
              methods=["POST"]),
        Route("/_standin/quizzes/notify", notify, methods=["POST"]),
    ]


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
