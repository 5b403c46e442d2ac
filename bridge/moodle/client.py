"""The Moodle web-service client: REST calls, file downloads, quirks and error classes.

Every call is a form POST to /webservice/rest/server.php (the token travels in the body, never
in a URL). Files come from /webservice/pluginfile.php, which only takes `?token=`: those URLs
are redacted from logs and errors, and the token is only ever sent to the site's own host.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from bridge.config import Settings, get_settings
from bridge.moodle.encoding import ParamValue, encode_params, install_log_redaction, redact
from bridge.moodle.errors import (
    AttemptNotFinished,
    MoodleError,
    MoodleFileError,
    MoodlePermanentError,
    MoodleProtocolError,
    MoodleUnavailable,
    MoodleWSException,
    QuestionChanged,
)
from bridge.moodle.schemas import (
    AssignmentsResponse,
    AttemptResponses,
    FinishedAttempts,
    GradesResponse,
    QuestionGradeSaved,
    SiteInfo,
    SubmissionsResponse,
)
from grader.bounded import Bounds, DocumentTooComplex, loads_json

log = logging.getLogger(__name__)
install_log_redaction()

REST_PATH = "/webservice/rest/server.php"
PLUGINFILE_PATH = "/webservice/pluginfile.php/"
RETRYABLE_STATUS = frozenset({408, 425, 429})
ERROR_BODY_BYTES = 4096
# What save functions answer on success: mod_assign_save_grade null, core_grades_update_grades 0.
SAVE_OK: tuple[object, ...] = (None, 0, {}, [])
Model = TypeVar("Model", bound=BaseModel)
# A whole course's submissions fit easily; a document nested or sprawling past this is no
# answer of Moodle's, and is refused before Python builds it.
RESPONSE_BOUNDS = Bounds(max_bytes=32 * 1024 * 1024, max_depth=32, max_nodes=2_000_000)
ERROR_BOUNDS = Bounds(max_bytes=ERROR_BODY_BYTES, max_depth=8, max_nodes=1000)


class UnknownSite(LookupError):
    pass


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """The process's one TLS context for Moodle (the CA bundle as httpx would load it).

    Each job opens a client; a context of its own per client loaded the whole CA bundle again
    (about 0.5 MB outside Python's heap, and ~10 ms), and a client kept alive by an exception's
    reference cycle until a full collection kept that memory too: the Moodle worker grew by
    hundreds of MB while Moodle was failing (issue 14).
    """
    return httpx.create_ssl_context()


class MoodleClient:
    """Calls to one Moodle site with one web-service token."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 20.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._user_id: int | None = None
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False,
                                  verify=tls_context(),
                                  headers={"User-Agent": "moodle-bridge"})

    def __repr__(self) -> str:
        return f"MoodleClient({self.base_url!r}, token=***)"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> MoodleClient:
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType]) -> None:
        self.close()

    # -- generic -----------------------------------------------------------------------------

    def call(self, function: str, params: Mapping[str, ParamValue] | None = None) -> Any:
        """Call a web-service function and return its decoded JSON (exceptions raised)."""
        form = [("wstoken", self._token), ("wsfunction", function),
                ("moodlewsrestformat", "json"), *encode_params(params or {})]
        try:
            response = self._http.post(self.base_url + REST_PATH, data=_unique(form))
        except httpx.TimeoutException:
            raise MoodleUnavailable("timed out", function=function) from None
        except httpx.HTTPError as exc:
            raise MoodleUnavailable(self._clean(f"{type(exc).__name__}: {exc}"),
                                    function=function) from None
        self._check_status(response, function)
        try:
            data = loads_json(response.content, RESPONSE_BOUNDS)
        except DocumentTooComplex as exc:
            raise MoodleProtocolError(f"answer refused: {exc}", function=function) from None
        except ValueError:
            raise MoodleProtocolError(
                f"answer is not JSON (HTTP {response.status_code}, "
                f"{response.headers.get('content-type', '?')})", function=function) from None
        if isinstance(data, dict) and "exception" in data and "errorcode" in data:
            raise MoodleWSException(self._clean(str(data.get("message", ""))), function=function,
                                    errorcode=str(data["errorcode"]),
                                    exception=str(data["exception"]))
        return data

    def _typed(self, model: type[Model], function: str,
               params: Mapping[str, ParamValue]) -> Model:
        return _parse(model, function, self.call(function, params))

    # -- typed functions ---------------------------------------------------------------------

    def get_site_info(self) -> SiteInfo:
        """core_webservice_get_site_info: who the token belongs to and what it may call."""
        return self._typed(SiteInfo, "core_webservice_get_site_info", {})

    def get_assignments(self, course_ids: list[int]) -> AssignmentsResponse:
        """mod_assign_get_assignments, including courses the bridge user is not enrolled in."""
        return self._typed(AssignmentsResponse, "mod_assign_get_assignments",
                           {"courseids": course_ids, "includenotenrolledcourses": True})

    def get_submissions(self, assignment_ids: list[int], *, status: str | None = None,
                        since: int | None = None, before: int | None = None
                        ) -> SubmissionsResponse:
        """mod_assign_get_submissions: the latest submission of each user (files, online text)."""
        return self._typed(SubmissionsResponse, "mod_assign_get_submissions", {
            "assignmentids": assignment_ids, "status": status or None, "since": since,
            "before": before,
        })

    def get_grades(self, assignment_ids: list[int], *, since: int | None = None
                   ) -> GradesResponse:
        """mod_assign_get_grades: grades arrive as strings and are parsed to floats."""
        return self._typed(GradesResponse, "mod_assign_get_grades",
                           {"assignmentids": assignment_ids, "since": since})

    def save_grade(self, *, assignment_id: int, user_id: int, grade: float, attempt_number: int,
                   feedback_html: str, apply_to_all: bool = False, add_attempt: bool = False,
                   workflow_state: str = "") -> None:
        """mod_assign_save_grade with an HTML feedback comment; Moodle answers `null`."""
        function = "mod_assign_save_grade"
        data = self.call(function, {
            "assignmentid": assignment_id, "userid": user_id, "grade": grade,
            "attemptnumber": attempt_number, "addattempt": add_attempt,
            "workflowstate": workflow_state, "applytoall": apply_to_all,
            "plugindata": {"assignfeedbackcomments_editor": {"text": feedback_html, "format": 1}},
        })
        _expect_saved(function, data)

    def save_question_grade(self, params: Mapping[str, ParamValue]) -> dict[str, Any]:
        """local_bridge_save_question_grade (the plugin's function for manual quiz marks)."""
        function = "local_bridge_save_question_grade"
        data = self.call(function, params)
        if not isinstance(data, dict):
            raise MoodleProtocolError("expected an object", function=function)
        return data

    def get_site_user_id(self) -> int:
        """The id of the user the token belongs to (asked once per client)."""
        if self._user_id is None:
            self._user_id = self.get_site_info().userid
        return self._user_id

    def get_attempt_responses(self, attempt_id: int) -> AttemptResponses:
        """local_bridge_get_attempt_responses: an attempt's linked questions as plain text."""
        with _quiz_errors():
            found = self._typed(AttemptResponses, "local_bridge_get_attempt_responses",
                                {"attemptid": attempt_id})
        if found.attemptid != attempt_id:
            raise MoodleProtocolError(f"asked for attempt {attempt_id}, got {found.attemptid}",
                                      function="local_bridge_get_attempt_responses")
        return found

    def get_finished_attempts(self, cmid: int, *, since: int = 0, after_id: int = 0
                              ) -> FinishedAttempts:
        """local_bridge_get_finished_attempts: a quiz's finished attempts from `since` on, by
        (timefinish, id); past `after_id` at exactly `since` (the next page)."""
        function = "local_bridge_get_finished_attempts"
        found = self._typed(FinishedAttempts, function,
                            {"cmid": cmid, "since": since, "afterid": after_id})
        if found.cmid != cmid:
            raise MoodleProtocolError(f"asked for quiz cmid {cmid}, got {found.cmid}",
                                      function=function)
        return found

    def grade_question(self, *, attempt_id: int, slot: int, mark: float, comment_html: str,
                       sequence_check: int) -> QuestionGradeSaved:
        """Save one question's mark and HTML comment; QuestionChanged for a stale check."""
        function = "local_bridge_save_question_grade"
        with _quiz_errors():
            data = self.save_question_grade({
                "attemptid": attempt_id, "slot": slot, "mark": mark, "comment": comment_html,
                "commentformat": 1, "sequencecheck": sequence_check})
        return _parse(QuestionGradeSaved, function, data)

    # -- files -------------------------------------------------------------------------------

    def download(self, fileurl: str, *, max_bytes: int) -> bytes:
        """A submitted file from /webservice/pluginfile.php, at most `max_bytes` long."""
        target, base = urlsplit(fileurl), urlsplit(self.base_url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc) \
                or PLUGINFILE_PATH not in target.path:
            # The token goes to this site's pluginfile.php and nowhere else.
            raise MoodleFileError(f"refusing to fetch a file outside the site: {fileurl[:200]}")
        try:
            with self._http.stream("GET", fileurl, params={"token": self._token}) as response:
                self._check_status(response, "pluginfile", stream=True)
                is_json = response.headers.get("content-type", "").startswith("application/json")
                # Room to read pluginfile.php's own JSON error even when files must be tiny.
                limit = max(max_bytes, ERROR_BODY_BYTES) if is_json else max_bytes
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > limit:
                        raise MoodleFileError(f"file is larger than {max_bytes} bytes")
                    chunks.append(chunk)
        except httpx.TimeoutException:
            raise MoodleUnavailable("file download timed out") from None
        except httpx.HTTPError as exc:
            raise MoodleUnavailable(self._clean(f"{type(exc).__name__}: {exc}")) from None
        body = b"".join(chunks)
        if is_json and body[:1] == b"{":
            _raise_pluginfile_error(body)
        if len(body) > max_bytes:
            raise MoodleFileError(f"file is larger than {max_bytes} bytes")
        return body

    # -- helpers -----------------------------------------------------------------------------

    def _clean(self, text: str) -> str:
        return redact(text, self._token)

    def _check_status(self, response: httpx.Response, function: str, stream: bool = False
                      ) -> None:
        status = response.status_code
        if status < 300:
            return
        if stream:
            response.read()
        if status >= 500 or status in RETRYABLE_STATUS:
            raise MoodleUnavailable(f"HTTP {status}", function=function)
        if function == "pluginfile":
            _raise_pluginfile_error(response.content, status)
        raise MoodlePermanentError(f"HTTP {status}", function=function)


def _parse(model: type[Model], function: str, data: Any) -> Model:
    """A web-service answer as its model; anything else a clear error naming the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        raise MoodleProtocolError(f"unexpected answer: {where}: {first['msg']}",
                                  function=function) from None


@contextmanager
def _quiz_errors() -> Iterator[None]:
    """local_bridge's error codes that mean something to the caller, as their own classes."""
    try:
        yield
    except MoodleWSException as exc:
        if exc.errorcode == "attemptnotfinished":
            raise AttemptNotFinished(str(exc), errorcode=exc.errorcode) from None
        if exc.errorcode == "questionchanged":
            raise QuestionChanged(str(exc), errorcode=exc.errorcode) from None
        raise


def _unique(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def _expect_saved(function: str, data: Any) -> None:
    if data in SAVE_OK:
        return
    if isinstance(data, list) and all(isinstance(w, dict) and "warningcode" in w for w in data):
        warning = data[0]
        raise MoodlePermanentError(
            f"{warning.get('warningcode')}: {warning.get('message')} ({warning.get('item')})",
            function=function, errorcode=str(warning.get("warningcode")))
    raise MoodleProtocolError(f"unexpected answer {str(data)[:200]!r}", function=function)


def _raise_pluginfile_error(body: bytes, status: int = 200) -> None:
    """pluginfile.php errors are `{"error", "errorcode", ...}`, not WS exceptions."""
    try:
        data = loads_json(body[:ERROR_BODY_BYTES], ERROR_BOUNDS)
    except ValueError:  # DocumentTooComplex included
        data = None
    if isinstance(data, dict) and {"error", "errorcode"} <= data.keys() \
            and "reproductionlink" in data:
        error: MoodleError = MoodlePermanentError(
            f"{data['errorcode']}: {redact(str(data['error']))}", function="pluginfile",
            errorcode=str(data["errorcode"]))
        raise error
    if status != 200:
        raise MoodlePermanentError(f"HTTP {status}", function="pluginfile")


def client_for_site(site_id: str, settings: Settings | None = None,
                    transport: httpx.BaseTransport | None = None) -> MoodleClient:
    """A client for a configured site (MOODLE_SITES); UnknownSite if there is none."""
    settings = settings or get_settings()
    site = settings.moodle_sites.get(site_id)
    if site is None:
        raise UnknownSite(site_id)
    return MoodleClient(site.url, site.token.get_secret_value(),
                        timeout=settings.moodle_timeout_s, transport=transport)
