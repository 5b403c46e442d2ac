"""A contract-faithful Moodle stand-in: a real HTTP server speaking Moodle 5.0's web services.

Answers are built from the responses recorded on a real site (../shared/moodle/ws/ beside the
repository), quirks included: exceptions inside HTTP 200, `null` from mod_assign_save_grade,
grades as strings, a warning instead of courses without `includenotenrolledcourses`, and the
pluginfile.php error shapes. It keeps state (assignments, submissions with files, grades), lets
a test play the teacher, take the site down, and act as local_bridge: send signed notifications.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.moodle_quiz import FakeQuizAttempt, FakeQuizQuestion, QuizSite
from tests.fakes.moodle_state import StateSite
from tests.support import wait_until

REPO = Path(__file__).resolve().parents[2]
RECORDED = REPO.parent / "shared" / "moodle" / "ws"
TEST_TOKEN = "test-only-ws-token-0123456789abcdef"
TEST_SECRET = "test-only-webhook-secret-never-use-in-production-7f3a9c"
ASSIGN_EVENT = "\\mod_assign\\event\\assessable_submitted"
QUIZ_EVENT = "\\mod_quiz\\event\\attempt_submitted"
CONTEXT_ID = 16


def recorded(name: str) -> Any:
    """One recorded response, parsed."""
    return json.loads((RECORDED / name).read_text())


@dataclass
class FakeSubmission:
    id: int
    assignment_id: int
    user_id: int
    attempt: int
    files: dict[str, bytes]
    online_text: str = ""
    status: str = "submitted"
    timecreated: int = field(default_factory=lambda: int(time.time()))
    timemodified: int = field(default_factory=lambda: int(time.time()))


@dataclass
class FakeGrade:
    grade: float
    grader: int
    timemodified: int = field(default_factory=lambda: int(time.time()))


class FakeMoodle:
    """A Moodle site on 127.0.0.1:<free port>; start() it, or use it as a context manager."""

    BRIDGE_USER = 3
    TEACHER_USER = 2

    def __init__(self, token: str = TEST_TOKEN, site: str = "moodle-test-site",
                 secret: str = TEST_SECRET) -> None:
        self.token, self.site, self.secret = token, site, secret
        self.assignments: dict[int, dict[str, Any]] = {}
        self.submissions: dict[int, FakeSubmission] = {}
        self.grades: dict[tuple[int, int, int], FakeGrade] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.saved_grades: list[dict[str, Any]] = []
        self.outage: int | None = None  # an HTTP status every request gets, e.g. 503
        # An answer every web-service call gets verbatim, as JSON (a broken or hostile site).
        self.raw_answer: bytes | None = None
        self._lock = threading.Lock()
        self._next_submission = 1
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = Starlette(routes=[
            Route("/webservice/rest/server.php", self._rest, methods=["GET", "POST"]),
            Route("/webservice/pluginfile.php/{path:path}", self._pluginfile, methods=["GET"]),
            Route("/auth/jwtsso/login.php", self._jwtsso_login, methods=["POST"]),
        ])
        # Login tokens POSTed to auth_jwtsso's login.php, with the request's headers.
        self.sso_logins: list[tuple[str, dict[str, str]]] = []
        # Quizzes, attempts and manual grades (tests/fakes/moodle_quiz.py).
        self.quiz_site = QuizSite()
        # Grading states, the student's page and failure notices (tests/fakes/moodle_state.py).
        self.state_site = StateSite(self)
        self.app.router.routes.extend(self.state_site.routes())

    # -- server ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeMoodle:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        daemon=True)
        self._thread.start()
        wait_until(lambda: self._server is not None and self._server.started, timeout=10,
                   interval=0.01, what="the Moodle stand-in to start")
        return self

    def stop(self) -> None:
        """Stop listening: calls now get "connection refused" (start() again to come back)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None

    def __enter__(self) -> FakeMoodle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state a test sets up ----------------------------------------------------------------

    def add_assignment(self, assignment_id: int = 1, *, cmid: int | None = None, course: int = 2,
                       grade: int = 100, name: str = "Python exercise 1",
                       duedate: int = 0) -> dict[str, Any]:
        template = recorded("mod_assign_get_assignments.json")["courses"][0]["assignments"][0]
        assignment = copy.deepcopy(template) | {
            "id": assignment_id, "cmid": cmid or assignment_id, "course": course, "grade": grade,
            "name": name, "duedate": duedate,
        }
        self.assignments[assignment_id] = assignment
        return assignment

    def add_submission(self, assignment_id: int, user_id: int, files: dict[str, bytes],
                       online_text: str = "", *, new_attempt: bool = False) -> FakeSubmission:
        """A student submits; with `new_attempt` the previous attempt is kept and this is next."""
        with self._lock:
            previous = self.latest_submission(assignment_id, user_id)
            attempt = 0 if previous is None else previous.attempt + (1 if new_attempt else 0)
            if previous is not None and not new_attempt:
                del self.submissions[previous.id]
            submission = FakeSubmission(id=self._next_submission, assignment_id=assignment_id,
                                        user_id=user_id, attempt=attempt, files=dict(files),
                                        online_text=online_text)
            self._next_submission += 1
            self.submissions[submission.id] = submission
            return submission

    def latest_submission(self, assignment_id: int, user_id: int) -> FakeSubmission | None:
        mine = [s for s in self.submissions.values()
                if s.assignment_id == assignment_id and s.user_id == user_id]
        return max(mine, key=lambda s: s.attempt, default=None)

    def teacher_sets_grade(self, assignment_id: int, user_id: int, grade: float,
                           attempt: int | None = None) -> None:
        """A teacher changes a grade by hand in the grading table."""
        if attempt is None:
            latest = self.latest_submission(assignment_id, user_id)
            attempt = latest.attempt if latest else 0
        self.grades[(assignment_id, user_id, attempt)] = FakeGrade(grade, self.TEACHER_USER)

    def grade_of(self, assignment_id: int, user_id: int) -> float | None:
        found = [(a, g) for (aid, uid, a), g in self.grades.items()
                 if aid == assignment_id and uid == user_id]
        return max(found, key=lambda item: item[0])[1].grade if found else None

    # -- acting as local_bridge --------------------------------------------------------------

    def notification_body(self, submission: FakeSubmission, *, timecreated: int | None = None
                          ) -> bytes:
        """The exact body local_bridge\\notification::encode() builds for this submission."""
        assignment = self.assignments[submission.assignment_id]
        timecreated = timecreated or submission.timemodified
        event_id = hashlib.sha256(
            f"{self.site}|{ASSIGN_EVENT}|{assignment['cmid']}|{submission.id}|{timecreated}"
            .encode()).hexdigest()
        body = {
            "schema": 1, "site": self.site, "event_id": event_id, "kind": "assign_submission",
            "course_id": assignment["course"], "cmid": assignment["cmid"],
            "instance_id": submission.assignment_id, "item_id": submission.id,
            "user_id": submission.user_id, "attempt_number": submission.attempt,
            "submitted_at": timecreated, "event": ASSIGN_EVENT,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def sign(self, body: bytes, timestamp: int | None = None, secret: str | None = None
             ) -> dict[str, str]:
        """The three headers local_bridge\\signer::headers() adds."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        mac = hmac.new((secret or self.secret).encode(), stamp.encode() + b"." + body,
                       hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-Bridge-Site": self.site,
                "X-Bridge-Timestamp": stamp, "X-Bridge-Signature": f"sha256={mac}"}

    def send_notification(self, bridge: httpx.Client, submission: FakeSubmission,
                          **sign: Any) -> httpx.Response:
        """POST the signed notification for a submission, as the plugin's ad-hoc task does."""
        body = self.notification_body(submission)
        return bridge.post("/api/v1/intake/notifications", content=body,
                           headers=self.sign(body, **sign))

    # -- HTTP handlers -----------------------------------------------------------------------

    async def _rest(self, request: Request) -> Response:
        if self.outage:
            return Response("<html><body>Service unavailable</body></html>", self.outage,
                            media_type="text/html")
        if self.raw_answer is not None:
            return Response(self.raw_answer, media_type="application/json")
        form = dict(request.query_params) | dict(parse_qsl((await request.body()).decode(),
                                                         keep_blank_values=True))
        params = parse_brackets({k: str(v) for k, v in form.items()})
        if params.pop("wstoken", None) != self.token:
            return JSONResponse(recorded("errors/invalid_token.json"))
        function = params.pop("wsfunction", "")
        if params.pop("moodlewsrestformat", None) != "json":
            return Response("<?xml version=\"1.0\"?><RESPONSE/>", media_type="application/xml")
        handler = getattr(self, f"_ws_{function}", None)
        if handler is None:
            return JSONResponse(recorded("errors/function_not_in_service.json"))
        with self._lock:
            self.calls.append((function, params))
            try:
                answer = handler(params)
            except (KeyError, ValueError, TypeError):
                answer = recorded("errors/missing_param.json")
        return Response(json.dumps(answer), media_type="application/json")

    async def _jwtsso_login(self, request: Request) -> Response:
        # Records what arrived; the token's checks are the plugin's (see token_validator).
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        with self._lock:
            self.sso_logins.append((form.get("token", ""), dict(request.headers)))
        return Response("<!doctype html><title>Dashboard</title><h1>Logged in</h1>",
                        media_type="text/html")

    async def _pluginfile(self, request: Request) -> Response:
        if self.outage:
            return Response("unavailable", self.outage)
        token = request.query_params.get("token")
        if token is None:
            return JSONResponse(recorded("errors/pluginfile_no_token.json"))
        if token != self.token:
            return JSONResponse(recorded("errors/pluginfile_bad_token.json"))
        match = re.fullmatch(r"(\d+)/assignsubmission_file/submission_files/(\d+)/(.+)",
                             request.path_params["path"])
        submission = self.submissions.get(int(match.group(2))) if match else None
        if match is None or submission is None or match.group(3) not in submission.files:
            return Response("Sorry, the requested file could not be found", 404)
        return Response(submission.files[match.group(3)], media_type="application/octet-stream")

    # -- web-service functions ---------------------------------------------------------------

    def _ws_core_webservice_get_site_info(self, params: dict[str, Any]) -> Any:
        info = recorded("core_webservice_get_site_info.json")
        info["siteurl"] = self.url
        return info

    def _ws_mod_assign_get_assignments(self, params: dict[str, Any]) -> Any:
        course_ids = [int(c) for c in params.get("courseids", [])]
        if params.get("includenotenrolledcourses") != "1":
            # The bridge user is enrolled nowhere: Moodle answers with a warning per course.
            warning = recorded("errors/get_assignments_not_enrolled_warning.json")["warnings"][0]
            return {"courses": [], "warnings": [warning | {"itemid": c} for c in course_ids]}
        template = recorded("mod_assign_get_assignments.json")["courses"][0]
        courses = []
        for course_id in course_ids or sorted({a["course"] for a in self.assignments.values()}):
            assignments = [a for a in self.assignments.values() if a["course"] == course_id]
            if assignments:
                courses.append(template | {"id": course_id, "assignments": assignments})
        return {"courses": courses, "warnings": []}

    def _ws_mod_assign_get_submissions(self, params: dict[str, Any]) -> Any:
        status = params.get("status") or None
        since = int(params.get("since", 0))
        out = []
        for raw_id in params["assignmentids"]:
            assignment_id = int(raw_id)
            latest: dict[int, FakeSubmission] = {}
            for sub in self.submissions.values():
                if sub.assignment_id == assignment_id and \
                        (sub.user_id not in latest or sub.attempt > latest[sub.user_id].attempt):
                    latest[sub.user_id] = sub
            chosen = [s for s in latest.values() if (status is None or s.status == status)
                      and s.timemodified >= since]
            out.append({"assignmentid": assignment_id,
                        "submissions": [self._submission_json(s) for s in chosen]})
        return {"assignments": out, "warnings": []}

    def _submission_json(self, sub: FakeSubmission) -> dict[str, Any]:
        template = recorded("mod_assign_get_submissions.json")["assignments"][0]["submissions"][0]
        data = copy.deepcopy(template)
        data.update(id=sub.id, userid=sub.user_id, attemptnumber=sub.attempt,
                    timecreated=sub.timecreated, timemodified=sub.timemodified, status=sub.status,
                    gradingstatus="graded" if self._grade(sub) else "notgraded")
        for plugin in data["plugins"]:
            if plugin["type"] == "onlinetext":
                plugin["editorfields"][0]["text"] = sub.online_text
            elif plugin["type"] == "file":
                file_template = plugin["fileareas"][0]["files"][0]
                plugin["fileareas"][0]["files"] = [file_template | {
                    "filename": name, "filepath": "/", "filesize": len(content),
                    "fileurl": f"{self.url}/webservice/pluginfile.php/{CONTEXT_ID}/"
                               f"assignsubmission_file/submission_files/{sub.id}/{name}",
                    "timemodified": sub.timemodified,
                } for name, content in sub.files.items()]
        return data

    def _grade(self, sub: FakeSubmission) -> FakeGrade | None:
        return self.grades.get((sub.assignment_id, sub.user_id, sub.attempt))

    def _ws_mod_assign_get_grades(self, params: dict[str, Any]) -> Any:
        since = int(params.get("since", 0))
        out = []
        for raw_id in params["assignmentids"]:
            assignment_id = int(raw_id)
            newest: dict[int, tuple[int, FakeGrade]] = {}
            for (aid, uid, attempt), grade in self.grades.items():
                if aid == assignment_id and (uid not in newest or attempt > newest[uid][0]):
                    newest[uid] = (attempt, grade)
            rows = [{"id": index + 1, "userid": uid, "attemptnumber": attempt,
                     "timecreated": grade.timemodified, "timemodified": grade.timemodified,
                     "grader": grade.grader, "grade": f"{grade.grade:.5f}"}
                    for index, (uid, (attempt, grade)) in enumerate(sorted(newest.items()))
                    if grade.timemodified >= since]
            out.append({"assignmentid": assignment_id, "grades": rows})
        return {"assignments": out, "warnings": []}

    def _ws_mod_assign_save_grade(self, params: dict[str, Any]) -> Any:
        for required in ("assignmentid", "userid", "grade", "attemptnumber", "addattempt",
                         "workflowstate", "applytoall"):
            params[required]
        assignment_id, user_id = int(params["assignmentid"]), int(params["userid"])
        attempt = int(params["attemptnumber"])
        if attempt < 0:
            latest = self.latest_submission(assignment_id, user_id)
            attempt = latest.attempt if latest else 0
        self.saved_grades.append(params)
        self.grades[(assignment_id, user_id, attempt)] = FakeGrade(float(params["grade"]),
                                                                   self.BRIDGE_USER)
        return None

    def _ws_local_bridge_save_question_grade(self, params: dict[str, Any]) -> Any:
        return self.quiz_site.save_question_grade(params, caller=self.BRIDGE_USER)

    def _ws_local_bridge_get_attempt_responses(self, params: dict[str, Any]) -> Any:
        return self.quiz_site.get_attempt_responses(params)

    def _ws_local_bridge_get_finished_attempts(self, params: dict[str, Any]) -> Any:
        return self.quiz_site.get_finished_attempts(params)

    # -- quizzes (state in self.quiz_site) ---------------------------------------------------

    def add_quiz(self, quiz_id: int = 1, *, cmid: int | None = None, course: int = 2,
                 grade: float = 100, questions: list[FakeQuizQuestion] | None = None,
                 name: str = "Python theory quiz", timeclose: int = 0) -> dict[str, Any]:
        """A quiz; by default two linked essays (10 marks each) and an unlinked true/false (1)."""
        questions = questions if questions is not None else [
            FakeQuizQuestion(question_id=11, bank_entry_id=101),
            FakeQuizQuestion(question_id=12, bank_entry_id=102),
            FakeQuizQuestion(question_id=13, bank_entry_id=103, qtype="truefalse", maxmark=1.0,
                             linked=False),
        ]
        return self.quiz_site.add_quiz(quiz_id, cmid=cmid or quiz_id + 1, course=course,
                                       grade=grade, questions=questions, name=name,
                                       timeclose=timeclose)

    def add_quiz_attempt(self, quiz_id: int, user_id: int, answers: dict[int, str], *,
                         answerformat: int = 2, state: str = "finished",
                         preview: bool = False) -> FakeQuizAttempt:
        """A student's attempt, answers by slot (plain-text essays unless told otherwise)."""
        with self._lock:
            return self.quiz_site.add_attempt(quiz_id, user_id, answers,
                                              answerformat=answerformat, state=state,
                                              preview=preview)

    def teacher_grades_question(self, attempt_id: int, slot: int, mark: float,
                                comment: str = "Marked by hand") -> None:
        """A teacher marks a question by hand in the quiz's manual grading report."""
        with self._lock:
            self.quiz_site.manual_grade(self.quiz_site.attempts[attempt_id], slot, mark, comment,
                                        1, self.TEACHER_USER)

    def quiz_notification_body(self, attempt: FakeQuizAttempt) -> bytes:
        """The exact body local_bridge\\notification::encode() builds for a quiz attempt."""
        quiz = self.quiz_site.quizzes[attempt.quiz_id]
        event_id = hashlib.sha256(
            f"{self.site}|{QUIZ_EVENT}|{quiz['cmid']}|{attempt.id}|{attempt.timefinish}"
            .encode()).hexdigest()
        body = {
            "schema": 1, "site": self.site, "event_id": event_id, "kind": "quiz_attempt",
            "course_id": quiz["course"], "cmid": quiz["cmid"], "instance_id": attempt.quiz_id,
            "item_id": attempt.id, "user_id": attempt.user_id,
            "attempt_number": attempt.attempt, "submitted_at": attempt.timefinish,
            "event": QUIZ_EVENT,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def send_quiz_notification(self, bridge: httpx.Client, attempt: FakeQuizAttempt,
                               **sign: Any) -> httpx.Response:
        """POST the signed notification of a finished attempt, as the ad-hoc task does."""
        body = self.quiz_notification_body(attempt)
        return bridge.post("/api/v1/intake/notifications", content=body,
                           headers=self.sign(body, **sign))

    def quiz_exercise_body(self, quiz_id: int, bank_entry_id: int, exercise_yaml: str) -> bytes:
        """The exercise upload of one linked question (bridge_client::submit_exercise)."""
        quiz = self.quiz_site.quizzes[quiz_id]
        question = next(q for q in quiz["questions"] if q.bank_entry_id == bank_entry_id)
        body = {
            "schema": 1, "site": self.site, "course_id": quiz["course"], "cmid": quiz["cmid"],
            "kind": "quiz", "instance_id": quiz_id,
            "question": {"question_bank_entry_id": bank_entry_id,
                         "question_id": question.question_id, "idnumber": None,
                         "name": f"Question {question.question_id}"},
            "exercise_yaml": exercise_yaml,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def exercise_upload_body(self, assignment_id: int, *, exercise_yaml: str | None = None,
                             files: dict[str, bytes] | None = None,
                             archive: bytes | None = None) -> bytes:
        """A schema-2 upload of an assignment's exercise, keys in bridge_client's order."""
        assignment = self.assignments[assignment_id]
        body: dict[str, Any] = {
            "schema": 2, "site": self.site, "course_id": assignment["course"],
            "cmid": assignment["cmid"], "kind": "assign", "instance_id": assignment["id"]}
        if exercise_yaml is not None:
            body["exercise_yaml"] = exercise_yaml
        if files is not None:
            body["files"] = {p: base64.b64encode(c).decode() for p, c in files.items()}
        if archive is not None:
            body["archive"] = base64.b64encode(archive).decode()
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    def exercise_download_body(self, cmid: int, kind: str = "assign",
                               question_bank_entry_id: int | None = None) -> bytes:
        """bridge_client::download_exercise(): which activity's exercise to send back."""
        body: dict[str, Any] = {"schema": 1, "site": self.site, "nonce": uuid.uuid4().hex,
                                "cmid": cmid, "kind": kind}
        if question_bank_entry_id is not None:
            body["question_bank_entry_id"] = question_bank_entry_id
        return json.dumps(body, separators=(",", ":")).encode()


def parse_brackets(flat: dict[str, str]) -> dict[str, Any]:
    """PHP's reading of `a[0]=x&b[c][d]=y` into nested lists and dicts."""
    root: dict[str, Any] = {}
    for key, value in flat.items():
        parts = re.findall(r"^[^\[]+|(?<=\[)[^\]]*(?=\])", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: listify(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    return listify(root)  # type: ignore[no-any-return]
