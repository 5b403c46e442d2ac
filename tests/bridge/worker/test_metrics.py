"""Worker metrics: counters of prefork children summed by the main process's /metrics."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine

from bridge.grading import GRADE_SUBMISSION
from bridge.grading.metrics import record_grading
from bridge.worker.metrics import clear_stale_files
from grader import DockerSandbox, GraderSettings, GradingResult, RunStatus, SandboxError
from grader.metrics import SandboxFailure
from tests.conftest import TEST_REDIS_URL
from tests.support import celery_worker, grading_env, wait_until

# A Redis database of its own: other suites flush theirs.
BROKER_URL = TEST_REDIS_URL.rsplit("/", 1)[0] + "/12"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
           **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_counters_of_forked_processes_are_summed(tmp_path: Path) -> None:
    """Two pool-like children count through the real Celery signals; the parent serves the sum."""
    port = free_port()
    script = textwrap.dedent(f"""
        import multiprocessing, sys, urllib.request
        from celery.signals import task_failure, task_retry, task_success
        from bridge.worker import app, metrics  # the app connects the signals
        from bridge.grading.tasks import grade_submission_task, requeue_stale_task
        from grader.metrics import SandboxFailure, sandbox_failure

        metrics.start_worker_metrics({port}, "127.0.0.1")

        def child(successes):
            for _ in range(successes):
                task_success.send(sender=grade_submission_task, result="graded")
            task_retry.send(sender=grade_submission_task, request=None, reason="busy")
            task_success.send(sender=requeue_stale_task, result=0)  # not a grading task
            sandbox_failure(SandboxFailure.WALL_CLOCK)

        ctx = multiprocessing.get_context("fork")
        children = [ctx.Process(target=child, args=(n,)) for n in (2, 3)]
        for c in children: c.start()
        for c in children: c.join()
        task_failure.send(sender=grade_submission_task, exception=RuntimeError("x"))
        sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:{port}/metrics").read().decode())
    """)
    stale = tmp_path / "counter_999999.db"
    stale.write_bytes(b"")  # a previous worker's file: cleared at start
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(done.stdout) for s in family.samples}
    assert sample(samples, "grader_tasks_total", outcome="succeeded") == 5
    assert sample(samples, "grader_tasks_total", outcome="retried") == 2
    assert sample(samples, "grader_tasks_total", outcome="failed") == 1
    assert sample(samples, "grader_sandbox_failures_total", reason="wall_clock") == 2
    assert sample(samples, "grader_sandbox_failures_total", reason="unclean") == 0
    assert not stale.exists()
    pids = {f.name.rsplit("_", 1)[1] for f in tmp_path.glob("counter_*.db")}
    assert len(pids) == 3  # the parent and both children each wrote their own file


def test_clear_stale_files_keeps_the_current_process(tmp_path: Path) -> None:
    for name in ("counter_1.db", "histogram_2.db", f"counter_{os.getpid()}.db", "notes.txt"):
        (tmp_path / name).write_bytes(b"")

    assert clear_stale_files(tmp_path, keep_pid=os.getpid()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"counter_{os.getpid()}.db", "notes.txt"]


def test_grading_time_is_observed_per_language() -> None:
    result = GradingResult(status=RunStatus.PASSED, score=1, max_score=1, language="c", tests=[],
                           total_time_s=2.5, image_digest="sha256:0", grader_version="test")
    before = REGISTRY.get_sample_value("grader_grading_duration_seconds_count",
                                       {"language": "c"}) or 0
    below_5s = REGISTRY.get_sample_value("grader_grading_duration_seconds_bucket",
                                         {"language": "c", "le": "5.0"}) or 0

    record_grading(result)

    assert REGISTRY.get_sample_value("grader_grading_duration_seconds_count",
                                     {"language": "c"}) == before + 1
    assert REGISTRY.get_sample_value("grader_grading_duration_seconds_bucket",
                                     {"language": "c", "le": "5.0"}) == below_5s + 1


def test_a_container_the_engine_refuses_is_counted(sandbox: DockerSandbox) -> None:
    labels = {"reason": SandboxFailure.START_FAILED.value}
    before = REGISTRY.get_sample_value("grader_sandbox_failures_total", labels) or 0

    with pytest.raises(SandboxError):
        DockerSandbox(GraderSettings(), client=sandbox.client).start_container(
            "sha256:" + "0" * 64, "python")

    assert REGISTRY.get_sample_value("grader_sandbox_failures_total", labels) == before + 1


@pytest.fixture
def worker(engine: Engine, tmp_path: Path) -> Iterator[tuple[int, str, Path]]:
    """A real prefork grading worker (two processes) on its own queue, multiprocess metrics."""
    port, queue, log = free_port(), f"obs-{uuid.uuid4().hex[:8]}", tmp_path / "worker.log"
    multiproc = tmp_path / "metrics"
    multiproc.mkdir()
    env = grading_env(BROKER_URL=BROKER_URL, PROMETHEUS_MULTIPROC_DIR=str(multiproc),
                      WORKER_METRICS_PORT=str(port), ENVIRONMENT="test")
    try:
        with celery_worker(queue, env, log, concurrency=2):
            yield port, queue, log
    finally:
        redis.Redis.from_url(BROKER_URL).delete(queue)


def test_worker_serves_outcomes_of_its_pool(worker: tuple[int, str, Path]) -> None:
    port, queue, log = worker
    producer = Celery("obs-producer", broker=BROKER_URL)
    missing = [str(uuid.uuid4()) for _ in range(4)]
    for submission_id in missing:  # graded as "missing": a success
        producer.send_task(GRADE_SUBMISSION, args=[submission_id], queue=queue)
    producer.send_task(GRADE_SUBMISSION, args=["not-a-uuid"], queue=queue)  # fails

    def counted() -> dict[tuple[str, frozenset[tuple[str, str]]], float] | None:
        try:
            samples = scrape(port)
        except OSError:
            return None
        done = (sample(samples, "grader_tasks_total", outcome="succeeded") == 4
                and sample(samples, "grader_tasks_total", outcome="failed") == 1)
        return samples if done else None

    samples = wait_until(counted, timeout=90, interval=0.5,
                         what=lambda: f"counters of 4/1\n{log.read_text()[-3000:]}")
    assert sample(samples, "grader_tasks_total", outcome="retried") == 0
    assert sample(samples, "grader_sandbox_failures_total", reason="wall_clock") == 0
    # The sweeps' re-sends are series from the start, zero until a sweep finds a lost job.
    for kind in ("fetch", "grading", "delivery"):
        assert sample(samples, "bridge_sweep_requeues_total", kind=kind) == 0

    # The worker's log lines are JSON, and a task's lines carry its task and submission ids.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    tagged = {line["submission_id"] for line in lines if "task_id" in line}
    assert set(missing) <= tagged
    assert "not-a-uuid" in tagged
