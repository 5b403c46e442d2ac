"""The harness plays compose's restart policy: it tells a process that died by itself from one
it stopped (a Celery worker can die of a kombu error when Redis restarts; found by make e2e)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.harness.services import Service
from tests.support import wait_until


def test_a_process_that_dies_by_itself_is_told_from_one_the_harness_stopped(
        tmp_path: Path) -> None:
    dying = Service("dying", ["sh", "-c", "exit 3"], dict(os.environ), tmp_path / "dying.log")
    dying.start()
    assert wait_until(lambda: dying.exited_by_itself(), timeout=10, interval=0.05) == 3

    stopped = Service("stopped", ["sleep", "30"], dict(os.environ), tmp_path / "stopped.log")
    stopped.start()
    assert stopped.exited_by_itself() is None  # still running
    stopped.stop()
    assert stopped.exited_by_itself() is None  # the harness stopped it: not to be revived
    stopped.start()
    assert stopped.exited_by_itself() is None
    stopped.stop()
