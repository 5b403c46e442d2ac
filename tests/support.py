"""Helpers every suite shares: waiting for a condition, running real Celery workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]
# What a grading worker may see of the environment: never a Moodle or signing secret.
SECRET_VARIABLES = ("BRIDGE_API_KEY", "BRIDGE_SECRET_KEY", "MOODLE_SITES")


def wait_until(probe: Callable[[], T | None], *, timeout: float = 90, interval: float = 0.2,
               what: str | Callable[[], str] = "the condition") -> T:
    """Poll `probe` until it returns something truthy, and return it; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout} s waiting for {described}")
        time.sleep(interval)


def grading_env(**overrides: str) -> dict[str, str]:
    """The environment of a grading worker: this one, less every Moodle and signing secret."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    return {**env, **overrides}


@contextmanager
def celery_worker(queues: str, env: Mapping[str, str], log: Path, *, concurrency: int = 1,
                  pool: str = "prefork", extra: tuple[str, ...] = ()
                  ) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker of bridge.worker.app on `queues`, stopped (and reaped) afterwards."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "bridge.worker.app", "worker", "-Q", queues,
             "--pool", pool, "--concurrency", str(concurrency), "--without-gossip",
             "--without-mingle", "--without-heartbeat", "--loglevel", "INFO", *extra],
            cwd=REPO, env=dict(env), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


_last_stamp = 0


def fresh_timestamp() -> int:
    """A signing timestamp never handed out before and inside the bridge's 300 s window.

    Two signed requests with the same body need different timestamps, or the second is a
    replay; a counter fixed at import goes stale in a long run, so this follows the clock
    (from a little in the past, so that a burst of calls does not run ahead of it).
    """
    global _last_stamp
    _last_stamp = max(int(time.time()) - 250, _last_stamp + 1)
    return _last_stamp
