"""The door at exam start, measured: sign-ins, minted tokens and JWKS beside the liveness route.

    python -m bridge.auth.bench [--seconds 5] [--clients 50] [--workers N] [--accounts 500]
                                [--database-url postgresql+psycopg://...]

A real `bridge serve --workers N` process (one per core by default, as compose runs it) on a
scratch PostgreSQL database that is dropped and created for the run, with `--accounts` student
accounts. `--clients` connections (HTTP/1.1 keep-alive, a minimal asyncio client so that the
client's own CPU stays small on the same machine) hit one route at a time for `--seconds`:

- liveness (`GET /healthz`), the yardstick every figure is printed beside;
- sign-ins (`POST /api/v1/auth/session`, a different account per request, right password);
- tokens minted (`GET /api/v1/auth/moodle/enter` with a session: one SSO token each);
- JWKS (`GET /api/v1/auth/jwks.json`), in full and as a 304 to If-None-Match.

Every answer other than the expected one is counted and printed (429s separately): a 500 is
never a figure. Each loop is bounded by time, and the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/bridge_bench")
PASSWORD = "correct horse battery staple"  # noqa: S105 (the bench accounts' own)
REPO = Path(__file__).resolve().parents[2]

Request = Callable[[int], bytes]  # the i-th request's bytes


@dataclass
class Figure:
    """What one route answered during one loop."""

    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def rate(self, status: int) -> float:
        return self.statuses[status] / self.seconds if self.seconds else 0.0

    def summary(self, status: int) -> str:
        others = {code: n for code, n in sorted(self.statuses.items()) if code != status}
        quantiles = statistics.quantiles(self.latencies, n=20) if len(self.latencies) > 1 else [0]
        return (f"p50 {statistics.median(self.latencies or [0]) * 1000:6.1f} ms, "
                f"p95 {quantiles[-1] * 1000:6.1f} ms"
                + (f", other answers {others}" if others else ""))


def http_request(method: str, path: str, *, body: bytes = b"", headers: str = "") -> bytes:
    """One HTTP/1.1 keep-alive request."""
    length = f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n" if body else ""
    return (f"{method} {path} HTTP/1.1\r\nHost: bench\r\n{length}{headers}\r\n").encode() + body


async def _client(port: int, make: Request, ids: list[int], deadline: float,
                  figure: Figure) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(make(ids[0]))
            ids[0] += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
            figure.statuses[status] += 1
            figure.latencies.append(time.perf_counter() - started)
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


def load(port: int, make: Request, *, clients: int, seconds: float) -> Figure:
    """`clients` connections sending `make(i)` requests back to back for `seconds`."""
    figure = Figure()

    async def run() -> None:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_client(port, make, [n * 1_000_000], deadline, figure)
                               for n in range(clients)))
        figure.seconds = time.perf_counter() - started

    asyncio.run(run())
    return figure


def _prepare(url: str, accounts: int) -> None:
    """A fresh database at head with a signing key and `accounts` students."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from bridge.auth import passwords, signing_keys
    from bridge.auth.models import Account
    from bridge.db import make_engine, session_scope
    from bridge.migrate import upgrade

    parsed = make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    upgrade(url)
    engine = make_engine(url)
    hashed = passwords.hash_password(PASSWORD)  # one hash for all: preparing stays quick
    with session_scope(sa.orm.sessionmaker(bind=engine)) as session:
        signing_keys.ensure_signing_key(session)
        session.add_all(Account(username=f"student{n}", email=f"student{n}@bench.test",
                                password_hash=hashed, enrolments=[]) for n in range(accounts))
    engine.dispose()


def _mint_rates(seconds: float) -> dict[str, float]:
    """Tokens minted per second in this process, one thread: keys from the database, memory."""
    from sqlalchemy import select

    from bridge.auth import signing_keys
    from bridge.auth.jwks_cache import JwksCache
    from bridge.auth.models import Account
    from bridge.db import session_scope

    rates = {}
    with session_scope() as session:
        account = session.scalars(select(Account).limit(1)).one()
        stored = JwksCache().rebuild(session).keys
        for name, keys in (("keys read each time", None), ("keys from memory", stored)):
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                signing_keys.mint_moodle_token(session, account=account, stored=keys)
                count += 1
            rates[name] = count / (time.perf_counter() - started)
    return rates


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(url: str, port: int, workers: int, log_level: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOG_LEVEL": log_level, "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    env.pop("FORWARDED_ALLOW_IPS", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve", "--port", str(port), "--workers",
         str(workers), "--no-access-log"], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_up(port: int, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"bridge serve exited: {errors[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("bridge serve did not answer within 60 s")


def _session_token(port: int, account: int) -> str:
    import httpx

    response = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/session", timeout=30,
                          json={"login": f"student{account}", "password": PASSWORD})
    response.raise_for_status()
    return str(response.json()["access_token"])


def run(args: argparse.Namespace) -> None:
    """Prepare, serve, measure and print."""
    from bridge.auth import passwords
    from bridge.db import utcnow

    _prepare(args.database_url, args.accounts)
    port = _free_port()
    process = _serve(args.database_url, port, args.workers, args.log_level)
    try:
        _wait_up(port, process)
        clients, seconds = args.clients, args.seconds
        print(f"door benchmark {utcnow():%Y-%m-%d %H:%M} UTC: {os.cpu_count()} CPUs, "
              f"{args.workers} API processes, {clients} clients, {seconds:g} s per figure, "
              f"PostgreSQL, argon2id m={passwords.HASHER.memory_cost} KiB "
              f"t={passwords.HASHER.time_cost} p={passwords.HASHER.parallelism}")
        tokens = [_session_token(port, n) for n in range(min(clients, args.accounts))]
        live = http_request("GET", "/healthz")
        figures: list[tuple[str, Figure, int]] = []

        def measure(name: str, make: Request, status: int) -> None:
            load(port, make, clients=clients, seconds=min(1.0, seconds))  # warm up
            figures.append((name, load(port, make, clients=clients, seconds=seconds), status))

        measure("liveness GET /healthz", lambda i: live, 200)

        def sign_in(i: int) -> bytes:
            body = json.dumps({"login": f"student{i % args.accounts}", "password": PASSWORD})
            return http_request("POST", "/api/v1/auth/session", body=body.encode())

        measure("sign-ins POST /session", sign_in, 200)
        enter = [http_request("GET", "/api/v1/auth/moodle/enter",
                              headers=f"Authorization: Bearer {t}\r\n") for t in tokens]
        measure("tokens minted GET /moodle/enter", lambda i: enter[i % len(enter)], 200)
        jwks = http_request("GET", "/api/v1/auth/jwks.json")
        measure("JWKS 200", lambda i: jwks, 200)
        import httpx

        etag = httpx.get(f"http://127.0.0.1:{port}/api/v1/auth/jwks.json").headers["etag"]
        cached = http_request("GET", "/api/v1/auth/jwks.json", headers=f"If-None-Match: {etag}\r\n")
        measure("JWKS 304 If-None-Match", lambda i: cached, 304)
        measure("liveness again", lambda i: live, 200)
        yardstick = statistics.mean([figures[0][1].rate(200), figures[-1][1].rate(200)])
        for name, figure, status in figures:
            rate = figure.rate(status)
            print(f"{name:34} {rate:8.0f}/s  ({rate / yardstick:5.0%} of liveness "
                  f"{yardstick:.0f}/s)  {figure.summary(status)}")
        for name, rate in _mint_rates(seconds).items():
            print(f"{'RS256 mint, ' + name:34} {rate:8.0f}/s  (in-process, one thread, no HTTP)")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(prog="python -m bridge.auth.bench")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each figure")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="API processes (default: one per core)")
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                        help="a scratch PostgreSQL database: dropped and created for the run")
    parser.add_argument("--log-level", default="WARNING", help="the server's LOG_LEVEL")
    args = parser.parse_args(argv)
    # Settings are read once: the scratch database and one secret for this process (which
    # stores the signing key) and the server (which decrypts it).
    os.environ.update(DATABASE_URL=args.database_url, ENVIRONMENT="development",
                      BRIDGE_SECRET_KEY=secrets.token_urlsafe(32),
                      BRIDGE_API_KEY=secrets.token_urlsafe(32))
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
