"""A harness stopped with SIGTERM stops its stack too: no PostgreSQL, Redis or worker left.

(Found after a make e2e run: SIGTERM killed only the harness; its stack's processes kept
running, holding the run's ports, until killed by hand.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.harness.stack import Ports, port_free
from tests.support import wait_until

ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.timeout(300)
def test_sigterm_to_the_harness_stops_its_stack() -> None:
    ports = Ports.find_free(18480, 6397)
    harness = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.harness", "--quick", "--port-base", str(ports.base),
         "--redis-port", str(ports.redis)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The Moodle worker starts last but the scheduler: once its metrics listen, all is up.
        assert wait_until(lambda: not port_free(ports.moodle_metrics) or harness.poll() is not None,
                          timeout=180, interval=0.5)
        time.sleep(2)  # the scheduler
        assert harness.poll() is None, harness.stdout.read() if harness.stdout else ""
        stack = _descendants(harness.pid)
        assert len(stack) >= 6, stack  # postgres, redis, bridge, caddy, workers, beat, standin
        harness.send_signal(signal.SIGTERM)
        output, _ = harness.communicate(timeout=150)
    finally:
        if harness.poll() is None:
            harness.kill()
    assert "SIGTERM, stopping the run's stack" in output, output
    left = [pid for pid in stack if _alive(pid)]
    assert left == [], left
    assert all(port_free(port) for port in (ports.postgres, ports.bridge, ports.redis))
