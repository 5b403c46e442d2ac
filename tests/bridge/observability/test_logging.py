"""JSON logs with request ids, and secrets never written."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bridge.observability.logs import configure_logging, log_context, make_handler
from bridge.observability.middleware import RequestContextMiddleware


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured() -> Iterator[Captured]:
    """The bridge's own JSON handler, writing to a buffer, on the root logger."""
    stream = io.StringIO()
    handler = make_handler(stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield Captured(stream)
    root.removeHandler(handler)
    root.setLevel(level)


def access_lines(captured: Captured) -> list[dict[str, Any]]:
    return [r for r in captured.records() if r["logger"] == "bridge.access"]


def test_request_id_is_echoed_and_logged(client: TestClient, captured: Captured) -> None:
    response = client.get("/api/v1/submissions/00000000-0000-0000-0000-000000000001",
                          headers={"X-Request-ID": "caddy-4f1a.97"})

    assert response.headers["X-Request-ID"] == "caddy-4f1a.97"
    [line] = access_lines(captured)
    assert line["request_id"] == "caddy-4f1a.97"
    assert line["route"] == "/api/v1/submissions/{submission_id}"
    assert line["status"] == 404
    assert line["level"] == "INFO" and "time" in line


@pytest.mark.parametrize("offered", [None, "has spaces", "x" * 65, "<script>", "a\u00e9b"])
def test_missing_or_unsafe_request_id_is_replaced(client: TestClient, captured: Captured,
                                                  offered: str | None) -> None:
    """Log lines and headers only ever carry a short id of a safe charset."""
    headers = {"X-Request-ID": offered.encode()} if offered else {}

    response = client.get("/api/v1/submissions/00000000-0000-0000-0000-000000000001",
                          headers=headers)

    generated = response.headers["X-Request-ID"]
    assert generated != offered and len(generated) == 32
    int(generated, 16)
    assert access_lines(captured)[0]["request_id"] == generated


def test_records_logged_while_handling_a_request_carry_its_id(client: TestClient,
                                                              captured: Captured) -> None:
    from bridge.config import Settings, get_settings

    settings = Settings(database_url="postgresql+psycopg://u:hunter2@127.0.0.1:1/x",
                        broker_url="filesystem://", health_check_timeout_s=1.0)
    client.app.dependency_overrides[get_settings] = lambda: settings  # type: ignore[attr-defined]

    client.get("/health/ready", headers={"X-Request-ID": "ready-1"})

    [warning] = [r for r in captured.records() if r["logger"] == "bridge.observability.health"]
    assert warning["request_id"] == "ready-1"
    assert "database" in warning["message"]


def test_access_log_leaves_out_the_query_string(client: TestClient, captured: Captured) -> None:
    client.get("/api/v1/submissions/00000000-0000-0000-0000-000000000001?wstoken=s3cr3t-ws")

    assert "s3cr3t-ws" not in captured.stream.getvalue()
    assert access_lines(captured)[0]["message"].endswith("00000000-0000-0000-0000-000000000001 404")


def test_secrets_are_redacted(captured: Captured) -> None:
    log = logging.getLogger("bridge.test")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    log.info("calling %s", "https://moodle.example/webservice/rest/server.php?wstoken=wsSECRET1&x=1")
    log.info("login password=pwSECRET2 and api_key: 'akSECRET3'")
    log.info("header Authorization: Bearer beSECRET4, token %s", jwt)
    log.info("payload", extra={"token": "tkSECRET5", "body": {"client_secret": "csSECRET6",
                                                            "name": "visible-name"}})
    try:
        raise RuntimeError("cannot connect to postgresql://bridge:dbSECRET7@db/bridge")
    except RuntimeError:
        log.exception("failed")

    text = captured.stream.getvalue()
    for n, secret in enumerate(["wsSECRET1", "pwSECRET2", "akSECRET3", "beSECRET4", jwt,
                                "tkSECRET5", "csSECRET6", "dbSECRET7"], start=1):
        assert secret not in text, n
    records = captured.records()
    assert records[0]["message"].endswith("?wstoken=***&x=1")
    assert records[3]["token"] == "***"
    assert records[3]["body"] == {"client_secret": "***", "name": "visible-name"}
    assert "RuntimeError" in records[4]["exc_info"]


def test_log_context_is_added_to_records(captured: Captured) -> None:
    with log_context(task_id="t-1", submission_id="s-1"):
        logging.getLogger("grader.test").info("grading")
    logging.getLogger("grader.test").info("after")

    inside, after = captured.records()
    assert (inside["task_id"], inside["submission_id"]) == ("t-1", "s-1")
    assert "task_id" not in after


def test_configure_logging_is_idempotent_and_keeps_other_handlers() -> None:
    root = logging.getLogger()
    other = logging.NullHandler()
    root.addHandler(other)
    try:
        first = configure_logging(stream=io.StringIO())
        second = configure_logging(stream=io.StringIO())
        assert first not in root.handlers and second in root.handlers and other in root.handlers
    finally:
        root.removeHandler(other)
        configure_logging()


def test_unhandled_error_answers_500_with_the_request_id(captured: Captured) -> None:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app) as test_client:
        response = test_client.get("/boom", headers={"X-Request-ID": "boom-1"})

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "boom-1"
    [error] = [r for r in captured.records() if r["level"] == "ERROR"]
    assert error["request_id"] == "boom-1" and "RuntimeError: boom" in error["exc_info"]


def test_an_api_key_in_any_query_parameter_never_reaches_a_log(
        captured: Captured, monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's access line has the full query; the key is redacted by value, not by name."""
    import socket
    import threading

    import httpx
    import uvicorn

    from bridge.app import create_app
    from tests.conftest import API_KEY
    from tests.support import wait_until

    # As `bridge serve` leaves it (configure_logging): uvicorn's records go to the root handler.
    # (Other servers in this process, the Moodle stand-in's, configure uvicorn's loggers too.)
    access_logger = logging.getLogger("uvicorn.access")
    monkeypatch.setattr(access_logger, "propagate", True)
    monkeypatch.setattr(access_logger, "handlers", [])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(), log_config=None, log_level="info",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=10, interval=0.01, what="the bridge")
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        for name in ("key", "k", "x"):
            httpx.get(f"{url}/api/v1/submissions/00000000-0000-0000-0000-000000000001",
                      params={name: API_KEY}, timeout=5)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    text = captured.stream.getvalue()
    assert API_KEY not in text
    access = [r["message"] for r in captured.records() if r["logger"] == "uvicorn.access"]
    assert len(access) == 3 and all("=***" in line for line in access), access
