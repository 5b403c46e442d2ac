"""Background jobs: queued on the session, sent to the broker only after the commit.

A job sent before its rows are committed could run before they exist; a job lost after the
commit is caught by the periodic sweeps, which re-send work still marked as queued or due.

Two queues: `grading` is served by the grading workers (the only processes that reach the
sandbox engine), `moodle` by the Moodle worker (fetches, deliveries and sweeps: the only
worker that holds Moodle tokens). A job's queue follows from its name.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from celery import Celery
from sqlalchemy.orm import Session

from bridge.config import CoreSettings, get_core_settings

log = logging.getLogger(__name__)

GRADING_QUEUE = "grading"
MOODLE_QUEUE = "moodle"
_GRADING_PREFIX = "bridge.grading.grade"
_PENDING = "pending_jobs"


def queue_for(name: str) -> str:
    """The queue of job `name`: grading runs apart from everything that talks to Moodle."""
    return GRADING_QUEUE if name.startswith(_GRADING_PREFIX) else MOODLE_QUEUE


def _route(name: str, *_: Any, **__: Any) -> dict[str, str]:
    return {"queue": queue_for(name)}


def celery_config(settings: CoreSettings) -> dict[str, Any]:
    """Celery settings shared by the bridge (producer) and the workers (consumers)."""
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "task_default_queue": MOODLE_QUEUE,
        "task_routes": (_route,),
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
    }
    if settings.broker_url.startswith("filesystem"):
        folder = settings.broker_folder.resolve()
        for sub in ("out", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        config["broker_transport_options"] = {
            "data_folder_in": str(folder / "out"),
            "data_folder_out": str(folder / "out"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    else:
        # A grading run is bounded by its wall-clock limit; redeliver only well after that.
        config["broker_transport_options"] = {"visibility_timeout": 3600}
    return config


@lru_cache
def get_producer() -> Celery:
    """The Celery app the bridge uses to send jobs (it never runs them)."""
    from bridge.worker import broker_guard

    broker_guard.install()
    app = Celery("bridge")
    app.conf.update(celery_config(get_core_settings()))
    return app


def enqueue_job(session: Session, name: str, *args: str) -> None:
    """Queue job `name` with id arguments, to be sent once `session` commits."""
    session.info.setdefault(_PENDING, []).append((name, args))


def discard_jobs(session: Session) -> None:
    """Forget the jobs queued on a session that was rolled back."""
    session.info.pop(_PENDING, None)


def flush_jobs(session: Session) -> None:
    """Send the jobs queued on `session`; call right after it committed."""
    pending = session.info.pop(_PENDING, [])
    for name, args in pending:
        try:
            get_producer().send_task(name, args=list(args), queue=queue_for(name))
        except Exception:
            # The rows are committed and still say "queued" or "due": a sweep re-sends them.
            log.exception("could not send job %s%s; the sweep will retry", name, args)
