"""The Celery app of every worker, and the schedule of the periodic sweeps.

    celery -A bridge.worker.app worker -Q grading   # grading workers (sandbox engine access)
    celery -A bridge.worker.app worker -Q moodle    # the Moodle worker (fetch, deliver, sweeps)
    celery -A bridge.worker.app beat                # the scheduler

Each domain owns its tasks; this module only lists them. The periodic sweeps go to the Moodle
queue: they need only the database and the broker, never the sandbox.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from celery import Celery
from celery.signals import setup_logging, task_postrun, task_prerun, worker_process_init

from bridge.config import get_core_settings
from bridge.grading import GRADE_SUBMISSION, REQUEUE_STALE
from bridge.observability.logs import bind_log_context, configure_logging, reset_log_context
from bridge.worker import broker_guard, metrics
from bridge.worker.jobs import celery_config

log = logging.getLogger(__name__)

TASK_MODULES = ["bridge.grading.tasks", "bridge.intake.tasks", "bridge.delivery.tasks"]

broker_guard.install()  # a Redis restart must not stop a worker (broker_guard.py)
app = Celery("bridge", include=TASK_MODULES)
app.conf.update(celery_config(get_core_settings()))
app.conf.beat_schedule = {
    "requeue-stale-submissions": {"task": REQUEUE_STALE, "schedule": 60.0},
    # Every minute: an item is stuck after 2 minutes untouched (bridge/intake/stuck.py).
    "moodle-requeue-stuck": {"task": "bridge.intake.requeue_stuck", "schedule": 60.0},
    "moodle-reconcile": {"task": "bridge.intake.reconcile", "schedule": 300.0},
    "moodle-deliveries-sweep": {"task": "bridge.delivery.sweep", "schedule": 60.0},
}
metrics.install()
_log_tokens: dict[str, Any] = {}


@setup_logging.connect
def _json_logs(loglevel: int | str | None = None, **_: Any) -> None:
    """Workers log JSON lines like the bridge (connecting this keeps Celery's own setup off)."""
    configure_logging(level=loglevel or None)


@worker_process_init.connect
def _freeze_startup_objects(**_: Any) -> None:
    """Leave the objects of start-up (every imported module) out of garbage collection.

    A job's exception holds its frames in reference cycles (a Moodle client, a session, the
    answers read), freed only by a full collection; with the imports' few hundred thousand
    objects counted as long-lived, Python ran one so rarely that a Moodle outage's thousands
    of retries kept hundreds of MB (issue 14). Frozen, full collections come as often as the
    jobs' own objects call for, and each scans only those.
    """
    gc.freeze()


@task_prerun.connect
def _bind_task(task_id: str = "", task: Any = None, args: Any = None, **_: Any) -> None:
    """Every record a task logs carries its task id, and the submission id when it grades one."""
    fields = {"task_id": task_id, "task": getattr(task, "name", "")}
    if fields["task"] == GRADE_SUBMISSION and args:
        fields["submission_id"] = str(args[0])
    _log_tokens[task_id] = bind_log_context(**fields)


@task_postrun.connect
def _unbind_task(task_id: str = "", **_: Any) -> None:
    token = _log_tokens.pop(task_id, None)
    if token is not None:
        reset_log_context(token)
