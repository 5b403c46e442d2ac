"""A real `bridge serve` process on a database of its own, for tests that need a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL
from tests.support import REPO, wait_until

SECRET_KEY = "a-deployment-secret-of-enough-length-42"


def scratch_database_url(suffix: str) -> str:
    """The test database's URL with `_<suffix>` added to its name."""
    url = make_url(TEST_DATABASE_URL)
    return url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)


def bridge_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a bridge process on `database_url` (trusting no proxy)."""
    env = {k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"}
    return {**env, "DATABASE_URL": database_url, "BRIDGE_SECRET_KEY": SECRET_KEY, **overrides}


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_bridge(database_url: str, *args: str) -> None:
    """`python -m bridge ARGS` to completion (e.g. `migrate`)."""
    subprocess.run([sys.executable, "-m", "bridge", *args], cwd=REPO,
                   env=bridge_env(database_url), check=True, capture_output=True, timeout=120)


@contextmanager
def serving(database_url: str, *args: str, **env: str) -> Iterator[str]:
    """`python -m bridge serve` on a free port (its PUBLIC_URL) until the block ends; the URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "bridge", "serve", "--port", str(port), *args], cwd=REPO,
        env=bridge_env(database_url, PUBLIC_URL=base, **env),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def up() -> bool:
        if process.poll() is not None:
            errors = process.stderr.read().decode() if process.stderr else ""
            raise AssertionError(f"bridge serve exited: {errors[-2000:]}")
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(up, timeout=60, what="bridge serve to answer")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
