"""The compose stack, started for real: compose.yaml with tests/stack/compose.override.yaml.

From nothing, `docker compose up --wait`; then the core flow through Caddy (the Moodle
stand-in saves an exercise and sends a signed notification the way local_bridge does, the
grade comes back by mod_assign_save_grade), Prometheus scraping the bridge and every worker
with the alert rules loaded, one backup and one restore inside the stack, and a teardown that
leaves no container, network or volume. Run by `make stack-test` (images:
scripts/stack-images.sh).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.fixtures import HELLO_EXERCISE as HELLO
from tests.support import REPO, wait_until

OVERRIDE = REPO / "tests" / "stack" / "compose.override.yaml"
CADDY_CA = "/caddy-data/caddy/pki/authorities/local/root.crt"
API_URL = "https://api.localhost"


class Stack:
    """One compose project of the real compose.yaml, driven through the docker-compose CLI."""

    def __init__(self, name: str, env_file: Path, standin_port: int) -> None:
        binary = shutil.which("docker-compose") or str(REPO / ".venv/bin/docker-compose")
        self.base = [binary, "-p", name, "--env-file", str(env_file), "-f",
                     str(REPO / "compose.yaml"), "-f", str(OVERRIDE)]
        self.name = name
        self.standin = f"http://127.0.0.1:{standin_port}/_standin"

    def compose(self, *args: str, check: bool = True, timeout: float = 600
                ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*self.base, *args], cwd=REPO, capture_output=True, text=True,
                              timeout=timeout, check=False)
        if check and done.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed:\n"
                                 f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done

    def sql(self, query: str) -> str:
        return self.compose("exec", "-T", "postgres", "psql", "-U", "bridge", "-d", "bridge",
                            "-Atc", query).stdout.strip()

    def prometheus(self, path: str) -> Any:
        out = self.compose("exec", "-T", "prometheus", "wget", "-qO-",
                           f"http://127.0.0.1:9090{path}").stdout
        return json.loads(out)["data"]

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        if body is None:
            return httpx.get(f"{self.standin}{path}", timeout=30).json()
        return httpx.post(f"{self.standin}{path}", json=body, timeout=30).json()

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "60", check=False).stdout[-20000:]

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label=com.docker.compose.project={self.name}"
        found = {}
        for kind in ("container", "network", "volume"):
            listing = ["docker", kind, "ls", "-q", "--filter", label]
            if kind == "container":
                listing.insert(3, "-a")
            found[kind] = subprocess.run(listing, capture_output=True, text=True,
                                         check=True).stdout.split()
        return found


def env_file(path: Path, standin_port: int, https_port: int) -> Path:
    """A filled-in .env for a laptop-style deployment (TLS_MODE=local, *.localhost names)."""
    values = {
        "API_HOST": "api.localhost", "MOODLE_HOST": "moodle.localhost",
        "GRAFANA_HOST": "grafana.localhost", "ACME_EMAIL": "ops@example.test",
        "TLS_MODE": "local", "MOODLE_SITE_ID": "moodle", "GRADER_REPLICAS": "2",
        "BRIDGE_API_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "BRIDGE_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "POSTGRES_PASSWORD": uuid.uuid4().hex, "MOODLE_DB_PASSWORD": uuid.uuid4().hex,
        "MOODLE_WS_TOKEN": uuid.uuid4().hex, "MOODLE_WEBHOOK_SECRET": uuid.uuid4().hex,
        "GRAFANA_ADMIN_PASSWORD": uuid.uuid4().hex, "ALERT_WEBHOOK_URL": "http://127.0.0.1:9/",
        "STACK_DOCKER_GID": str(os.stat("/var/run/docker.sock").st_gid),
        "STACK_STANDIN_PORT": str(standin_port), "STACK_HTTPS_PORT": str(https_port),
    }
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    name = f"mbstack{uuid.uuid4().hex[:6]}"
    standin_port, https_port = 18080, 18443
    env = env_file(tmp_path_factory.mktemp("stack") / "env", standin_port, https_port)
    running = Stack(name, env, standin_port)
    try:
        up = running.compose("up", "-d", "--wait", "--no-build", "--pull", "never",
                             check=False, timeout=900)
        assert up.returncode == 0, f"{up.stderr[-3000:]}\n{running.logs()}"
        yield running
    finally:
        running.compose("down", "--volumes", "--remove-orphans", "--timeout", "30",
                        check=False)
    assert running.leftovers() == {"container": [], "network": [], "volume": []}


def test_every_service_of_the_core_flow_is_healthy(stack: Stack) -> None:
    listed = stack.compose("ps", "--format", "json").stdout
    states = [json.loads(line) for line in listed.splitlines() if line.strip()]
    by_service: dict[str, list[str]] = {}
    for state in states:
        by_service.setdefault(state["Service"], []).append(state["Health"] or state["State"])
    for service in ("caddy", "bridge", "grader", "moodle-worker", "scheduler", "postgres",
                    "redis", "prometheus", "alertmanager", "backup", "moodle"):
        assert by_service.get(service) and set(by_service[service]) == {"healthy"}, by_service
    assert len(by_service["grader"]) == 2  # GRADER_REPLICAS


def test_a_notification_through_caddy_is_graded_and_delivered(stack: Stack) -> None:
    stack.control("/assignments", {"id": 1, "cmid": 1, "course": 2, "grade": 100})
    saved = stack.control("/exercise", {"assignment_id": 1, "bridge_url": API_URL,
                                        "ca_file": CADDY_CA, "exercise_yaml": HELLO})
    assert saved["status"] == 200 and json.loads(saved["body"])["valid"], saved
    program = base64.b64encode(b"print(f'Hello, {input()}!')\n").decode()
    submission = stack.control("/submissions", {"assignment_id": 1, "user_id": 5,
                                                "files": {"hello.py": program}})
    sent = stack.control("/notify", {"submission_id": submission["id"], "bridge_url": API_URL,
                                     "ca_file": CADDY_CA})
    assert sent["status"] == 202, sent

    grades = wait_until(lambda: stack.control("/saved_grades"), timeout=180, interval=1,
                        what=lambda: f"a grade at the stand-in\n{stack.logs()}")
    assert (grades[0]["userid"], grades[0]["grade"]) == ("5", "100")
    assert "2 / 2 points" in grades[0]["plugindata"]["assignfeedbackcomments_editor"]["text"]
    assert stack.sql("select status from submissions") == "delivered"


def test_prometheus_scrapes_the_bridge_and_every_worker_and_loads_the_rules(
        stack: Stack) -> None:
    def scraped() -> list[dict[str, Any]] | None:
        targets = stack.prometheus("/api/v1/targets")["activeTargets"]
        up = [t for t in targets if t["health"] == "up"]
        jobs = [t["labels"]["job"] for t in up]
        done = jobs.count("grader") == 2 and {"bridge", "moodle-worker"} <= set(jobs)
        return up if done else None

    up = wait_until(scraped, timeout=120, interval=3, what="every bridge target up")
    assert {t["labels"]["job"] for t in up} >= {"bridge", "grader", "moodle-worker",
                                                "alertmanager"}
    groups = stack.prometheus("/api/v1/rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) >= 17 and all(rule["health"] == "ok" for rule in rules)
    assert {"grading", "delivery", "bridge", "backups"} <= {g["name"] for g in groups}


def test_a_backup_restores_inside_the_stack(stack: Stack) -> None:
    before = stack.sql("select count(*) from moodle_items")
    backup = stack.compose("exec", "-T", "backup", "backup.sh")
    assert "done:" in backup.stderr, backup.stderr
    stack.compose("exec", "-T", "backup", "restore.sh", "--verify-only", "latest")

    # Damage after the backup; the restore must bring the rows back. TRUNCATE: the grade
    # history refuses a DELETE of its rows (append-only) and of the items it names.
    history = stack.sql("select count(*) from grade_history")
    stack.sql("truncate moodle_items cascade")
    assert stack.sql("select count(*) from moodle_items") == "0"
    assert stack.sql("select count(*) from grade_history") == "0"
    stack.compose("stop", "caddy", "bridge", "grader", "moodle-worker", "scheduler")
    restore = stack.compose("exec", "-T", "backup", "restore.sh", "latest")
    assert "restored" in restore.stderr, restore.stderr
    assert stack.sql("select count(*) from moodle_items") == before != "0"
    assert stack.sql("select count(*) from grade_history") == history != "0"
    stack.compose("run", "--rm", "migrate")
    up = stack.compose("up", "-d", "--wait", "--no-build", "--pull", "never", check=False,
                       timeout=600)
    assert up.returncode == 0, up.stderr[-3000:]
