"""Worker metrics, served by a worker's main process on WORKER_METRICS_PORT.

Celery's prefork pool runs tasks in child processes, so their counters are kept in
prometheus_client's multiprocess files (PROMETHEUS_MULTIPROC_DIR, which must be set in the
worker's environment before it starts) and the main process sums every child's files when it
is scraped. The queue length is exposed by the bridge, not here: one series however many
workers run.
"""

from __future__ import annotations

import logging
import os
import re
from enum import StrEnum
from pathlib import Path
from threading import Thread
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, Counter, start_http_server
from prometheus_client import values as prometheus_values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from bridge.worker.jobs import GRADING_QUEUE, queue_for
from grader import declare_sandbox_failures

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_PID_FILE = re.compile(r"_(\d+)\.db$")


class TaskOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRIED = "retried"


TASKS = Counter(
    "grader_tasks_total", "Grading tasks finished by the workers, by outcome.", ["outcome"],
)


class SweepKind(StrEnum):
    FETCH = "fetch"        # an intake item's fetch from Moodle
    GRADING = "grading"    # a submission's grading
    DELIVERY = "delivery"  # a grade's push to Moodle


SWEEP_REQUEUES = Counter(
    "bridge_sweep_requeues_total",
    "Jobs the periodic sweeps sent again because the first was lost, by kind.", ["kind"],
)


def count_requeues(kind: SweepKind, sent: int) -> int:
    """Count the jobs one sweep re-sent; returns `sent`."""
    SWEEP_REQUEUES.labels(kind=kind.value).inc(sent)
    return sent


def multiprocess_enabled() -> bool:
    """Whether metric values live in PROMETHEUS_MULTIPROC_DIR (decided at import time)."""
    return prometheus_values.ValueClass is not prometheus_values.MutexValue


def clear_stale_files(path: Path, keep_pid: int) -> int:
    """Delete the value files of earlier processes (a restarted worker starts from zero)."""
    removed = 0
    for file in path.glob("*.db"):
        match = _PID_FILE.search(file.name)
        if match and int(match.group(1)) != keep_pid:
            file.unlink(missing_ok=True)
            removed += 1
    return removed


def worker_registry() -> CollectorRegistry:
    """What the worker serves: every process's values summed, or this process's alone."""
    if not multiprocess_enabled():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def start_worker_metrics(
    port: int, addr: str = "0.0.0.0",  # noqa: S104 - Prometheus scrapes over the network
) -> tuple[WSGIServer, Thread] | None:
    """Serve /metrics from this (main) process; call before the pool forks."""
    if multiprocess_enabled():
        directory = Path(os.environ[MULTIPROC_ENV])
        directory.mkdir(parents=True, exist_ok=True)
        clear_stale_files(directory, keep_pid=os.getpid())
    else:
        log.error("%s is not set: /metrics only shows the main process, not the pool's tasks; "
                  "set it to an empty directory private to this worker", MULTIPROC_ENV)
    # Zero-valued series from the start, so rates and ratios exist before the first event.
    for outcome in TaskOutcome:
        TASKS.labels(outcome=outcome.value)
    for kind in SweepKind:
        SWEEP_REQUEUES.labels(kind=kind.value)
    declare_sandbox_failures()
    try:
        server = start_http_server(port, addr, registry=worker_registry())
    except OSError:
        log.exception("cannot serve worker metrics on port %d", port)
        return None
    log.info("worker metrics on port %d", port)
    return server


def _count(outcome: TaskOutcome, sender: Any) -> None:
    # Only grading: the periodic sweep would otherwise hide a stuck queue behind its successes.
    if queue_for(getattr(sender, "name", "") or "") == GRADING_QUEUE:
        TASKS.labels(outcome=outcome.value).inc()


def _on_success(sender: Any = None, **_: Any) -> None:
    _count(TaskOutcome.SUCCEEDED, sender)


def _on_failure(sender: Any = None, **_: Any) -> None:
    _count(TaskOutcome.FAILED, sender)


def _on_retry(sender: Any = None, **_: Any) -> None:
    _count(TaskOutcome.RETRIED, sender)


def _on_worker_init(**_: Any) -> None:
    from bridge.config import get_core_settings

    start_worker_metrics(get_core_settings().worker_metrics_port)


def _on_process_shutdown(pid: int | None = None, **_: Any) -> None:
    if multiprocess_enabled():
        mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]


def install() -> None:
    """Connect the Celery signals: count task outcomes, serve /metrics from the main process."""
    from celery.signals import (
        task_failure,
        task_retry,
        task_success,
        worker_init,
        worker_process_shutdown,
    )

    task_success.connect(_on_success, weak=False, dispatch_uid="bridge.worker.metrics.success")
    task_failure.connect(_on_failure, weak=False, dispatch_uid="bridge.worker.metrics.failure")
    task_retry.connect(_on_retry, weak=False, dispatch_uid="bridge.worker.metrics.retry")
    worker_init.connect(_on_worker_init, weak=False, dispatch_uid="bridge.worker.metrics.server")
    worker_process_shutdown.connect(_on_process_shutdown, weak=False,
                                    dispatch_uid="bridge.worker.metrics.shutdown")
