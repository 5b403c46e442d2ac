"""One ASGI middleware that bounds every request body before any route or credential sees it.

A body is refused by its declared Content-Length without reading it, or, chunked, as soon as
what arrived passes the limit; a JSON body is then measured by the bounded loader (depth,
element count), so a few thousand `[` get a clear 400 rather than the framework's recursion.
Only a body within the limits reaches the application, replayed from memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grader.bounded import Bounds, DocumentTooComplex, loads_json

JSON_MEDIA_TYPES = ("application/json",)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON (`application/json`, `application/problem+json`)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in JSON_MEDIA_TYPES or media.endswith("+json")


class BodyLimitMiddleware:
    """Refuses a body over `max_bytes()` with 413, and JSON over the bounds with 400."""

    def __init__(self, app: ASGIApp, max_bytes: Callable[[], int],
                 json_bounds: Bounds | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.json_bounds = json_bounds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        declared = _header(scope, b"content-length")
        if declared is not None and not declared.strip().isdigit():
            await _refuse(send, 400, "bad_content_length", "Content-Length is not a number")
            return
        if declared is not None and int(declared) > limit:
            await _refuse(send, 413, "body_too_large", f"the request body exceeds {limit} bytes")
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away before sending its body
            body += message.get("body", b"")
            if len(body) > limit:
                await _refuse(send, 413, "body_too_large",
                              f"the request body exceeds {limit} bytes")
                return
            if not message.get("more_body", False):
                break
        if body and is_json(_header(scope, b"content-type")):
            bounds = self.json_bounds or Bounds(max_bytes=limit)
            try:
                loads_json(bytes(body), bounds)
            except DocumentTooComplex as exc:
                await _refuse(send, 400, "json_too_complex", f"the JSON body is refused: {exc}")
                return
            except ValueError:
                pass  # not JSON at all: each route says so in its own words
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # only a disconnect can follow
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(send: Send, status: int, error: str, detail: str) -> None:
    payload = json.dumps({"error": error, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        # The rest of the body is never read: the connection cannot be reused.
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": payload})
