"""The embedded defaults of `make run`, with the real loop on them: SQLite, a filesystem broker.

`bridge serve` (a real uvicorn on a free port), the grading worker (no secret in its
environment) and the Moodle worker with the scheduler, as `make run` starts them but in a
temporary directory; the exercise and the submissions go through the HTTP API with the API key,
as the README's first-submission walkthrough does.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from bridge.config import CoreSettings
from bridge.db import make_engine, utcnow
from bridge.grading import REQUEUE_STALE
from bridge.submissions import service as submissions
from bridge.submissions.models import Submission
from bridge.submissions.service import QUEUED_GRACE
from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE, celery_config
from tests.grader.helpers import ADD_EXERCISE, GOOD_PY
from tests.support import SECRET_VARIABLES, celery_worker, grading_env, wait_until

API_KEY = "embedded-api-key-0123456789abcdef"
WRONG_PY = b"print(5)\n"  # right for the visible test only: 2 of 3 points


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Embedded:
    url: str
    database_url: str
    settings: CoreSettings
    logs: Path

    def call(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> tuple[int, Any]:
        """One API request with the key, as curl in the README sends it."""
        response = httpx.request(method, self.url + path, json=body, timeout=10,
                                 headers={"X-API-Key": API_KEY})
        return response.status_code, response.json() if response.content else None

    def log_tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2500:]}"
                         for log in sorted(self.logs.glob("*.log")))


def live(url: str) -> bool:
    try:
        return httpx.get(url + "/health/live", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    """The three processes of `make run` on SQLite and a filesystem broker in a temp dir."""
    home = tmp_path_factory.mktemp("embedded")
    var = home / "var"
    for queue in ("grading", "moodle"):  # as `make run` does: each worker's metric files
        (var / "metrics" / queue).mkdir(parents=True)
    logs = home / "logs"
    logs.mkdir()
    database_url = f"sqlite:///{var / 'bridge.db'}"
    core = {"ENVIRONMENT": "development", "DATABASE_URL": database_url,
            "BROKER_URL": "filesystem://", "BROKER_FOLDER": str(var / "broker"),
            "LOG_FORMAT": "text"}
    settings = CoreSettings(database_url=database_url, broker_url="filesystem://",
                            broker_folder=var / "broker")
    secrets = {"BRIDGE_API_KEY": API_KEY, "BRIDGE_SECRET_KEY": "embedded-secret-0123456789abcdef"}
    grading = grading_env(**core, PROMETHEUS_MULTIPROC_DIR=str(var / "metrics" / "grading"),
                          WORKER_METRICS_PORT=str(free_port()))
    assert not set(SECRET_VARIABLES) & set(grading)
    moodle = {**grading_env(**core), **secrets,
              "PROMETHEUS_MULTIPROC_DIR": str(var / "metrics" / "moodle"),
              "WORKER_METRICS_PORT": str(free_port())}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(logs / "bridge.log", "wb") as out:
        # `bridge serve` migrates the empty SQLite file before it listens.
        bridge = subprocess.Popen(
            [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=home, env={**grading_env(**core), **secrets}, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    running = Embedded(url=url, database_url=database_url, settings=settings, logs=logs)
    try:
        wait_until(lambda: live(url) or bridge.poll() is not None, timeout=60,
                   what="the bridge to answer /health/live")
        assert bridge.poll() is None, running.log_tail()
        with celery_worker(GRADING_QUEUE, grading, logs / "grading.log", concurrency=2), \
                celery_worker(MOODLE_QUEUE, moodle, logs / "moodle.log", extra=(
                    "--beat", "--schedule", str(var / "celerybeat-schedule"))):
            yield running
    finally:
        bridge.terminate()
        try:
            bridge.wait(timeout=30)
        finally:
            print(running.log_tail())


def wait_graded(embedded: Embedded, submission_id: str) -> dict[str, Any]:
    def graded() -> dict[str, Any] | None:
        status, body = embedded.call("GET", f"/api/v1/submissions/{submission_id}")
        assert status == 200, body
        assert body["status"] != "failed", body
        return body if body["status"] == "graded" else None

    return wait_until(graded, timeout=120, interval=0.5,
                      what=lambda: f"submission {submission_id} to be graded\n"
                                   + embedded.log_tail())


def create_exercise(embedded: Embedded) -> str:
    status, exercise = embedded.call("POST", "/api/v1/exercises", {
        "name": "add", "files": {"exercise.yaml": yaml.safe_dump(ADD_EXERCISE)}})
    assert status == 201, exercise
    return str(exercise["id"])


def test_first_submission_is_graded_on_embedded_defaults(embedded: Embedded) -> None:
    assert embedded.call("GET", "/api/v1/exercises/" + str(uuid.uuid4()))[0] == 404
    exercise_id = create_exercise(embedded)
    sent = {}
    for name, code in (("right", GOOD_PY), ("wrong", WRONG_PY)):
        status, body = embedded.call("POST", "/api/v1/submissions", {
            "exercise_id": exercise_id, "files": {"solution.py": code.decode()}})
        assert status == 202 and body["status"] == "queued", body
        sent[name] = body["id"]

    right, wrong = wait_graded(embedded, sent["right"]), wait_graded(embedded, sent["wrong"])
    assert (right["score"], right["max_score"]) == (3, 3)
    assert (wrong["score"], wrong["max_score"]) == (2, 3)
    assert [t["status"] for t in wrong["result"]["tests"]] == ["passed", "failed"]
    assert right["result"]["image_digest"].startswith("sha256:")


def test_the_api_key_guards_the_embedded_bridge(embedded: Embedded) -> None:
    refused = httpx.post(embedded.url + "/api/v1/exercises", json={}, timeout=10)
    assert refused.status_code == 401
    wrong = httpx.post(embedded.url + "/api/v1/exercises", json={}, timeout=10,
                       headers={"X-API-Key": API_KEY[:-1]})
    assert wrong.status_code == 401


def test_a_lost_grading_job_is_resent_by_the_moodle_workers_sweep(embedded: Embedded) -> None:
    """A submission whose job never reached the broker is graded once the sweep runs."""
    exercise_id = create_exercise(embedded)
    engine = make_engine(embedded.database_url)
    try:
        with sessionmaker(bind=engine, expire_on_commit=False)() as session:
            lost = submissions.create(session, exercise_id=uuid.UUID(exercise_id),
                                      files={"solution.py": GOOD_PY})
            lost.modified_at = utcnow() - QUEUED_GRACE - timedelta(seconds=5)
            session.commit()  # a plain commit: the job is never sent, as if the broker was down
            session.info.clear()
            assert _status(session, lost.id) == "queued"
    finally:
        engine.dispose()

    # What the scheduler sends every minute, sent now: the Moodle worker runs the sweep.
    producer = Celery("embedded-test")
    producer.conf.update(celery_config(embedded.settings))
    producer.send_task(REQUEUE_STALE, queue=MOODLE_QUEUE)
    graded = wait_graded(embedded, str(lost.id))
    assert (graded["score"], graded["max_score"]) == (3, 3)
    assert "requeue_stale" in (embedded.logs / "moodle.log").read_text()


def _status(session: Session, submission_id: uuid.UUID) -> str:
    found = session.get(Submission, submission_id)
    return "" if found is None else str(found.status)

