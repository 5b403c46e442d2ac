"""The faults of issue 14, each done to a running stack during the burst.

A fault returns when it has cleared (the service is back); the harness measures from then.
A killed service comes back as a supervisor (compose's restart policy) would bring it back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable

import sqlalchemy as sa

from tests.e2e.harness.stack import Stack
from tests.support import REPO, wait_until

SUPERVISOR_DELAY_S = 3.0


def _grading_worker_mid_grade(stack: Stack) -> str:
    """The grading worker whose pool child holds a grading lease right now."""
    assert stack.postgres is not None
    engine = sa.create_engine(stack.postgres.url)

    def busy() -> str | None:
        with engine.connect() as connection:
            owners = connection.execute(sa.text(
                "SELECT lease_owner FROM submissions WHERE status = 'running' "
                "AND lease_owner IS NOT NULL")).scalars().all()
        pids = {int(owner.split(":")[1]) for owner in owners}
        for name, service in stack.services.items():
            if name.startswith("grading-") and pids & set(service.pids()):
                return name
        return None

    try:
        return wait_until(busy, timeout=120, interval=0.05, what="a grading worker mid-grade")
    finally:
        engine.dispose()


def kill_grading_worker(stack: Stack, duration_s: float) -> str:
    """SIGKILL a grading worker (main process and pool) in the middle of a grading run."""
    name = _grading_worker_mid_grade(stack)
    stack.services[name].kill(signal.SIGKILL)
    time.sleep(SUPERVISOR_DELAY_S)
    stack.restart(name)
    return f"SIGKILL {name} mid-grade, restarted after {SUPERVISOR_DELAY_S:.0f} s"


def kill_moodle_worker(stack: Stack, duration_s: float) -> str:
    """SIGKILL the Moodle worker (fetch and delivery), restart it."""
    stack.services["moodle"].kill(signal.SIGKILL)
    time.sleep(SUPERVISOR_DELAY_S)
    stack.restart("moodle")
    return f"SIGKILL moodle worker, restarted after {SUPERVISOR_DELAY_S:.0f} s"


def restart_redis(stack: Stack, duration_s: float) -> str:
    """Stop Redis (SIGTERM: its append-only file is written) and start it again."""
    stack.services["redis"].stop()
    time.sleep(SUPERVISOR_DELAY_S)
    stack.restart("redis")
    return f"redis stopped, started after {SUPERVISOR_DELAY_S:.0f} s"


def restart_postgres(stack: Stack, duration_s: float) -> str:
    """pg_ctl restart -m fast: every connection of every process is cut."""
    assert stack.postgres is not None
    stack.postgres.restart()
    return "postgres restarted (fast)"


def restart_bridge(stack: Stack, duration_s: float) -> str:
    """Stop the bridge (SIGTERM) and start it again; the plugin keeps retrying meanwhile."""
    stack.services["bridge"].stop()
    time.sleep(SUPERVISOR_DELAY_S)
    stack.restart("bridge")
    return f"bridge stopped, started after {SUPERVISOR_DELAY_S:.0f} s"


def standin_outage(stack: Stack, duration_s: float) -> str:
    """Moodle answers 503 for half of `duration_s`, then does not answer in time."""
    half = duration_s / 2
    stack.control("/outage", {"status": 503})
    time.sleep(half)
    stack.control("/outage", {"status": None})
    stack.control("/slow", {"seconds": stack.tuning.moodle_timeout_s + 5})
    time.sleep(half)
    stack.control("/slow", {"seconds": 0})
    return f"moodle 503 for {half:.0f} s, then timing out for {half:.0f} s"


def restart_docker(stack: Stack, duration_s: float) -> str:
    """Stop dockerd (SIGTERM) and start it again as .ci/services.sh does (machine-wide!)."""
    pid = int(subprocess.run(["pidof", "dockerd"], check=True, capture_output=True,
                             text=True).stdout.split()[0])
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}"), timeout=60, what="dockerd to stop")
    subprocess.run([str(REPO / ".ci" / "services.sh"), "docker"], check=True)
    return "docker engine restarted"


FAULTS: dict[str, Callable[[Stack, float], str]] = {
    "grading-worker-kill": kill_grading_worker,
    "moodle-worker-kill": kill_moodle_worker,
    "redis-restart": restart_redis,
    "postgres-restart": restart_postgres,
    "bridge-restart": restart_bridge,
    "moodle-outage": standin_outage,
    "docker-restart": restart_docker,
}
