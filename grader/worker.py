"""The Celery application of the grader workers (`celery -A grader.worker worker`)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import (
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_process_shutdown,
)

from bridge.config import get_settings
from bridge.jobs import GRADE_SUBMISSION, celery_config
from bridge.observability.logs import bind_log_context, configure_logging, reset_log_context
from grader import metrics

log = logging.getLogger(__name__)

app = Celery("grader", include=["grader.tasks", "bridge.intake.tasks", "bridge.delivery.tasks"])
app.conf.update(celery_config(get_settings()))
app.conf.beat_schedule = {
    "requeue-stale-submissions": {"task": "grader.requeue_stale", "schedule": 60.0},
    "moodle-reconcile": {"task": "bridge.intake.reconcile", "schedule": 300.0},
    "moodle-deliveries-sweep": {"task": "bridge.delivery.sweep", "schedule": 60.0},
}
metrics.install()
_log_tokens: dict[str, Any] = {}


@setup_logging.connect
def _json_logs(loglevel: int | str | None = None, **_: Any) -> None:
    """The worker logs JSON lines like the bridge (connecting this keeps Celery's own setup off)."""
    configure_logging(level=loglevel or None)


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


@worker_process_init.connect
def _reap_orphans(**_: Any) -> None:
    """Containers left by a worker process that died are removed when a new one starts."""
    from grader.tasks import reap_orphans_once

    reap_orphans_once()


@worker_process_shutdown.connect
def _close_sandbox(**_: Any) -> None:
    from grader.tasks import close_sandbox

    close_sandbox()
