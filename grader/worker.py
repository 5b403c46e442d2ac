"""The Celery application of the grader workers (`celery -A grader.worker worker`)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_process_shutdown

from bridge.config import get_settings
from bridge.jobs import celery_config

log = logging.getLogger(__name__)

app = Celery("grader", include=["grader.tasks", "bridge.intake.tasks", "bridge.delivery.tasks"])
app.conf.update(celery_config(get_settings()))
app.conf.beat_schedule = {
    "requeue-stale-submissions": {"task": "grader.requeue_stale", "schedule": 60.0},
    "moodle-reconcile": {"task": "bridge.intake.reconcile", "schedule": 300.0},
    "moodle-deliveries-sweep": {"task": "bridge.delivery.sweep", "schedule": 60.0},
}


@worker_process_init.connect
def _reap_orphans(**_: Any) -> None:
    """Containers left by a worker process that died are removed when a new one starts."""
    from grader.tasks import reap_orphans_once

    reap_orphans_once()


@worker_process_shutdown.connect
def _close_sandbox(**_: Any) -> None:
    from grader.tasks import close_sandbox

    close_sandbox()
