"""Request bodies are bounded before any route or credential sees them, on every route.

The size limit is checked against a real server over a socket, so that "refused before it is
read" is observed, not assumed: the 413 must arrive while the body is still unsent.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from bridge.config import get_settings
from tests.support import wait_until

SIXTY_MB = 60 * 1024 * 1024
UUID = "00000000-0000-4000-8000-000000000000"
DEEP = b"[" * 5000 + b"]" * 5000


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    """The bridge served by uvicorn on a free loopback port."""
    from bridge.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    served = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=served.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_until(lambda: served.started, timeout=10, interval=0.01, what="the bridge to start")
    yield "127.0.0.1", port
    served.should_exit = True
    thread.join(timeout=10)


def _read_response(conn: socket.socket) -> bytes:
    conn.settimeout(10)
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def test_declared_oversized_body_is_refused_unread_before_the_api_key(
        server: tuple[str, int]) -> None:
    started = time.perf_counter()
    with socket.create_connection(server) as conn:
        conn.sendall(b"POST /api/v1/exercises HTTP/1.1\r\nHost: bridge\r\n"
                     b"Content-Type: application/json\r\n"
                     + f"Content-Length: {SIXTY_MB}\r\n\r\n".encode())
        answer = _read_response(conn)  # not one byte of the body was sent
    print(f"\n60 MB declared: 413 after {(time.perf_counter() - started) * 1000:.1f} ms")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b'"error": "body_too_large"' in answer
    assert b"WWW-Authenticate" not in answer  # refused before the API key was looked at


def test_chunked_body_is_cut_off_at_the_limit(server: tuple[str, int]) -> None:
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection(server) as conn:
        conn.sendall(b"POST /api/v1/exercises HTTP/1.1\r\nHost: bridge\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        conn.settimeout(0.5)
        try:
            while sent < SIXTY_MB:
                conn.sendall(framed)
                sent += len(chunk)
        except (BlockingIOError, TimeoutError, ConnectionError):
            pass  # the server stopped reading: it has answered
        answer = _read_response(conn)
    print(f"\nchunked: refused after {sent / 1024 / 1024:.1f} MiB sent of 60")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert sent < SIXTY_MB / 4


def test_a_body_within_the_limit_reaches_the_route(client: TestClient) -> None:
    body = b'{"files": {"exercise.yaml": "' + b" " * 1000 + b'"}}'
    response = client.post("/api/v1/exercises/validate", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200 and response.json()["valid"] is False


def test_limit_is_the_setting(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "max_request_bytes", 100)
    response = client.post("/api/v1/exercises/validate", content=b"{}" + b" " * 99,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json() == {"error": "body_too_large",
                               "detail": "the request body exceeds 100 bytes"}


def body_routes() -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, from the app itself."""
    from bridge.app import create_app

    return sorted({(method, str(context.path))
                   for context in iter_route_contexts(create_app().routes)
                   for method in (context.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}})


@pytest.mark.parametrize("route", body_routes(), ids=" ".join)
def test_deeply_nested_json_is_a_clear_400_on_every_route(route: tuple[str, str],
                                                          client: TestClient) -> None:
    method, path = route
    url = path.format(site="moodle-test-site", cmid=1, exercise_id=UUID, account_id=UUID,
                      external_id="x", delivery_id=UUID, bank_entry_id=1,
                      item_id=UUID)
    anonymous = TestClient(client.app)  # no key: the body is judged first
    response = anonymous.request(method, url, content=DEEP,
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json() == {"error": "json_too_complex",
                               "detail": "the JSON body is refused: nested deeper than 32 levels"}

