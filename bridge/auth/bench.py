"""SSO benchmark: tokens minted per second (RS256, ES256) and JWKS requests served per second.

    python -m bridge.auth.bench [--seconds 3]

Self-contained: a throw-away SQLite database in a temporary directory, and the bridge app on
uvicorn at 127.0.0.1 (a free port) in a thread, queried with httpx. Every loop is bounded by
time and by count, and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bridge.auth.models import Account

MAX_ITERATIONS = 200_000


def _rate(action: Callable[[], object], seconds: float) -> tuple[float, int]:
    """Calls per second of `action`, run for about `seconds` (and at most MAX_ITERATIONS)."""
    action()  # warm up (key decryption, connection set-up)
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while count < MAX_ITERATIONS and time.perf_counter() < deadline:
        action()
        count += 1
    return count / (time.perf_counter() - started), count


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mint_figures(session: Session, account: Account, alg: str, seconds: float) -> None:
    import jwt

    from bridge.auth import signing_keys

    key, private = signing_keys.active_key(session)
    assert key.alg == alg
    claims = {"iss": "bench", "aud": "bench", "sub": str(account.id), "iat": 0, "exp": 60}
    sign, _ = _rate(lambda: jwt.encode(claims, private, algorithm=alg, headers={"kid": key.kid}),
                    seconds)
    print(f"{alg} sign only:               {sign:10.0f} tokens/s")
    minted, _ = _rate(lambda: signing_keys.mint_moodle_token(session, account=account, course_id=2),
                      seconds)
    print(f"{alg} mint (keys from the DB): {minted:10.0f} tokens/s")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(prog="python -m bridge.auth.bench")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each loop")
    args = parser.parse_args(argv)

    workdir = tempfile.TemporaryDirectory(prefix="bridge-auth-bench-")
    url = f"sqlite:///{Path(workdir.name) / 'bench.db'}"
    # Settings are read once: point them at the scratch database before anything imports them.
    os.environ.update(DATABASE_URL=url, ENVIRONMENT="development",
                      BRIDGE_SECRET_KEY=secrets.token_urlsafe(32),
                      BRIDGE_API_KEY=secrets.token_urlsafe(32))

    import httpx
    import uvicorn

    from bridge.auth import signing_keys
    from bridge.auth.schemas import AccountCreate
    from bridge.auth.service import create_account
    from bridge.db import session_scope, utcnow
    from bridge.migrate import upgrade

    upgrade(url)
    from bridge.app import create_app  # configures logging: quieten it afterwards

    for name in ("", "bridge.access", "httpx", "bridge.auth.signing_keys"):
        logging.getLogger(name).setLevel(logging.WARNING)
    print(f"SSO benchmark, {args.seconds:g} s per figure, {os.cpu_count()} CPUs, SQLite")

    with session_scope() as session:
        account = create_account(session, data=AccountCreate(
            username="bench", email="bench@example.test", given_name="Bench", family_name="Mark"))
    start = utcnow() - timedelta(days=1)
    for day, alg in enumerate(("RS256", "ES256")):
        with session_scope() as session:
            # Activates at once (no other key is active at that time): the one that signs now.
            signing_keys.rotate_keys(session, alg=alg, now=start + timedelta(hours=day))
        with session_scope() as session:
            _mint_figures(session, account, alg, args.seconds)

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                print("uvicorn did not start", file=sys.stderr)
                return 1
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            first = client.get("/api/v1/auth/jwks.json")
            first.raise_for_status()
            etag = first.headers["etag"]
            full, count = _rate(lambda: client.get("/api/v1/auth/jwks.json").raise_for_status(),
                                args.seconds)
            print(f"JWKS 200 (one client):      {full:10.0f} requests/s ({count} requests)")
            cached, count = _rate(lambda: client.get(
                "/api/v1/auth/jwks.json", headers={"If-None-Match": etag}), args.seconds)
            print(f"JWKS 304 (If-None-Match):   {cached:10.0f} requests/s ({count} requests)")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        workdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
