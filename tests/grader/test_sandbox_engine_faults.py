"""The Docker engine going away (a dockerd restart) is a sandbox error, never a grade.

Found by `make e2e`'s Docker-engine restart (issue 14): a container the engine stopped mid-run
was graded 0 as "its test runner was killed", and a runner that could not start while the
engine's socket was gone failed the job with a raw ConnectionError. Both are SandboxError now,
which the grading task retries. Real engine throughout; "gone" is a client whose socket does
not exist, as while dockerd restarts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import docker
import pytest

from grader import GraderSettings, GradingResult, SandboxError
from grader.sandbox.docker import DockerSandbox
from tests.grader.helpers import one_test, run_py
from tests.support import wait_until

SLOW = "import time\ntime.sleep(8)\nprint(1)\n"


@pytest.fixture
def box() -> Iterator[DockerSandbox]:
    """A sandbox of this test's own (the test breaks it); its containers removed afterwards."""
    sandbox = DockerSandbox(GraderSettings())
    yield sandbox
    sandbox.close()
    assert sandbox.containers() == []


def test_a_container_the_engine_stops_mid_run_is_retried_not_graded(box: DockerSandbox) -> None:
    assert run_py(box, "print(1)").score == 0  # warm: the pool exists, a runner is prepared
    graded: list[GradingResult] = []
    errors: list[SandboxError] = []

    def grade() -> None:
        try:
            graded.append(run_py(box, SLOW, one_test(expected="1\n", limits={
                "time_s": 10, "total_time_s": 20})))
        except SandboxError as exc:
            errors.append(exc)

    worker = threading.Thread(target=grade)
    worker.start()
    runner = wait_until(lambda: box.pools["python"].current, timeout=30, interval=0.05,
                        what="the slow run to start")
    box.client.containers.get(runner.container_name).kill()  # what stopping dockerd does
    worker.join(timeout=60)

    assert graded == [] and len(errors) == 1, (graded, errors)
    assert "stopped from outside" in str(errors[0])
    # The next submission gets a fresh container and its real grade.
    assert run_py(box, "print(1)", one_test(expected="1\n")).score == 1


def test_a_runner_that_cannot_start_while_the_engine_is_gone_is_a_sandbox_error(
        box: DockerSandbox) -> None:
    run_py(box, "print(1)")
    pool = box.pools["python"]
    assert pool.ready is not None
    prepared = pool.ready.result(timeout=60)
    engine = box.engine.client
    box.engine.client = docker.DockerClient(base_url="unix:///nonexistent/docker.sock",
                                            version="1.41")
    try:
        pool.prepare_next()  # the next runner is started while the engine is away
        with pytest.raises(SandboxError, match="engine unavailable"):
            run_py(box, "print(1)")
    finally:
        box.engine.client = engine
        prepared.stream.close()
        engine.containers.get(prepared.container_name).remove(force=True)
    # The engine is back: grading goes on.
    assert run_py(box, "print(1)", one_test(expected="1\n")).score == 1
