"""One ASGI middleware: request id in, log context and response header out, metrics, access log."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.observability.logs import bind_log_context, reset_log_context
from bridge.observability.metrics import UNMATCHED_ROUTE, observe_request

log = logging.getLogger("bridge.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Probes and scrapes: not counted (they would dilute error ratios) and logged at DEBUG only.
QUIET_ROUTES = frozenset({"/metrics", "/healthz", "/health/live", "/health/ready"})
_INTERNAL_ERROR = b'{"detail":"Internal Server Error"}'


def request_id_from(scope: Scope) -> str:
    """The caller's X-Request-ID when it is short and safe, else a new random id."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/submissions/{submission_id}`)."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class RequestContextMiddleware:
    """Tags everything a request does with its id, and measures and logs the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        token = bind_log_context(request_id=request_id)
        status = 500
        started = time.perf_counter()
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            status = 500
            log.exception("unhandled error in %s %s", scope["method"], route_template(scope))
            if response_started:
                raise
            # Answer here rather than in Starlette's outer handler, so the 500 carries the id.
            await send_with_id({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_INTERNAL_ERROR)).encode()),
            ]})
            await send({"type": "http.response.body", "body": _INTERNAL_ERROR})
        finally:
            self._record(scope, status, time.perf_counter() - started)
            reset_log_context(token)

    @staticmethod
    def _record(scope: Scope, status: int, duration_s: float) -> None:
        route, method = route_template(scope), scope["method"]
        quiet = route in QUIET_ROUTES
        if not quiet:
            observe_request(method, route, status, duration_s)
        # The path only, never the query string (Moodle puts wstoken there).
        log.log(logging.DEBUG if quiet else logging.INFO, "%s %s %s", method, scope["path"],
                status, extra={"http_method": method, "route": route, "status": status,
                               "duration_ms": round(duration_s * 1000, 1)})
