"""`make run` behaves like a service: SIGTERM or SIGINT to its process group stops all of it.

The real `make run` (its `images` prerequisite taken as done: the runner images exist) with the
real bridge, grading worker and Moodle worker, on SQLite and a filesystem broker in a temporary
directory, started in a session of its own with no terminal, as a service manager or CI starts
it. A submission is graded first, so that a grading worker holds a warm sandbox container.
"""

from __future__ import annotations

import html
import json
import os
import pty
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import httpx
import jwt
import pytest
import yaml

from grader.sandbox.docker import LABEL, OWNER_LABEL
from tests.grader.helpers import ADD_EXERCISE, GOOD_PY
from tests.support import REPO, SECRET_VARIABLES, wait_until

# Generous: a warm shutdown takes seconds; the script's own kill deadline comes first.
STOP_BOUND_S = 90
READY = (re.compile(r"grading@\S+ ready"), re.compile(r"moodle@\S+ ready"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    start: int  # clock ticks since boot: tells a pid apart from a later one that reuses it
    cmd: str


def processes() -> dict[int, Proc]:
    """Every living process (zombies excluded: they only wait to be reaped)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            found[int(entry)] = Proc(int(entry), int(fields[1]), int(fields[19]), cmd.strip())
    return found


def descendants(root: int) -> list[Proc]:
    """`root` and everything it started, however deep (sessions of their own included)."""
    table = processes()
    family = [table[root]] if root in table else []
    for proc in family:
        family.extend(p for p in table.values() if p.ppid == proc.pid)
    return family


def still_alive(family: list[Proc]) -> list[Proc]:
    table = processes()
    return [p for p in family if p.pid in table and table[p.pid].start == p.start]


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    var: Path
    url: str
    output: list[bytes] = field(default_factory=list)
    log_file: Path | None = None

    def text(self) -> str:
        if self.log_file is not None:
            return self.log_file.read_text(errors="replace")
        return b"".join(self.output).decode(errors="replace").replace("\r\n", "\n")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        key = (self.var / "api_key").read_text().strip()
        response = httpx.request(method, self.url + path, json=body, timeout=10,
                                 headers={"X-API-Key": key})
        response.raise_for_status()
        return response.json()


def run_env(home: Path) -> dict[str, str]:
    """This environment, pointed at `home`, less the secrets and the outer make's flags."""
    drop = {*SECRET_VARIABLES, "LOG_FORMAT", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, "ENVIRONMENT": "development", "VAR": str(home / "var"),
            "DATABASE_URL": f"sqlite:///{home / 'bridge.db'}", "BROKER_URL": "filesystem://",
            "BROKER_FOLDER": str(home / "broker"), "PORT": str(free_port()),
            "GRADING_METRICS_PORT": str(free_port()), "MOODLE_METRICS_PORT": str(free_port()),
            "STOP_TIMEOUT": "30"}


@pytest.fixture
def make_run(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Run]:
    """`make run` in a new session, no terminal; stdout a file, or a pseudo-terminal if asked."""
    env = run_env(tmp_path)
    on_terminal = bool(getattr(request, "param", False))
    command = ["make", "--no-print-directory", "-o", "images", "run"]
    if on_terminal:
        master, replica = pty.openpty()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                   stdout=replica, stderr=replica, start_new_session=True)
        os.close(replica)
        run = Run(process, tmp_path / "var", f"http://127.0.0.1:{env['PORT']}")
        reader = threading.Thread(target=_drain, args=(master, run.output), daemon=True)
        reader.start()
    else:
        log_file = tmp_path / "make-run.log"
        with open(log_file, "wb") as out:
            process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        run = Run(process, tmp_path / "var", f"http://127.0.0.1:{env['PORT']}",
                  log_file=log_file)
    family: list[Proc] = []
    try:
        yield run
    finally:
        family = descendants(process.pid)
        if process.poll() is None:  # the test failed before it stopped the run
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_BOUND_S)
            except subprocess.TimeoutExpired:
                for proc in still_alive(family):
                    os.kill(proc.pid, signal.SIGKILL)
        print(run.text()[-6000:])


def _drain(master: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every writer has gone
            break
        if not chunk:
            break
        into.append(chunk)
    os.close(master)


def live(url: str) -> bool:
    try:
        return httpx.get(url + "/health/live", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def started_and_grading(run: Run) -> list[Proc]:
    """Wait until all three answer, grade one submission; the processes of the run."""
    def ready() -> bool:
        assert run.process.poll() is None, "make run exited early"
        return live(run.url) and all(pattern.search(run.text()) for pattern in READY)

    wait_until(ready, timeout=180, interval=0.5, what="the bridge and both workers")
    exercise = run.call("POST", "/api/v1/exercises", {
        "name": "add", "files": {"exercise.yaml": yaml.safe_dump(ADD_EXERCISE)}})
    sent = run.call("POST", "/api/v1/submissions", {
        "exercise_id": exercise["id"], "files": {"solution.py": GOOD_PY.decode()}})

    def graded() -> dict[str, Any] | None:
        found: dict[str, Any] = run.call("GET", f"/api/v1/submissions/{sent['id']}")
        return found if found["status"] == "graded" else None

    assert wait_until(graded, timeout=120, interval=0.5)["score"] == 3
    family = descendants(run.process.pid)
    commands = " ".join(p.cmd for p in family)
    assert "-Q grading" in commands and "-Q moodle" in commands and "bridge serve" in commands
    # Both workers' pools are up: the main processes and their children.
    assert sum("celery" in p.cmd for p in family) >= 6, commands
    return family


def sandboxes_of(family: list[Proc]) -> list[str]:
    owners = {f"{socket.gethostname()}:{p.pid}" for p in family}
    client = docker.from_env()
    try:
        return [c.id for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"})
                if c.labels.get(OWNER_LABEL) in owners]
    finally:
        client.close()


def stop_and_check(run: Run, family: list[Proc], sig: signal.Signals) -> float:
    """Signal the whole process group; everything exits in bounds and leaves no sandbox."""
    assert sandboxes_of(family), "the grading worker should hold a warm sandbox"
    started = time.monotonic()
    os.killpg(run.process.pid, sig)
    run.process.wait(timeout=STOP_BOUND_S)
    wait_until(lambda: not still_alive(family), timeout=STOP_BOUND_S, interval=0.2,
               what=lambda: f"every process to exit: {still_alive(family)}")
    elapsed = time.monotonic() - started
    print(f"make run stopped on {sig.name} in {elapsed:.1f} s ({len(family)} processes)")
    # make dies of the signal it got, as a shell expects from an interrupted command.
    assert run.process.returncode == -sig
    assert sandboxes_of(family) == []
    output = run.text()
    assert "[run] stopping: grading moodle bridge" in output and "[run] stopped" in output
    assert "still running after" not in output  # stopped warm, nothing had to be killed
    return elapsed


def signs_with_the_first_key(run: Run) -> None:
    """A sign-in is signed by the key `bridge migrate` published, not a replacement for it."""
    published = {key["kid"] for key in run.call("GET", "/api/v1/auth/jwks.json")["keys"]}
    run.call("POST", "/api/v1/auth/accounts", {
        "username": "first", "email": "first@example.test", "password": "a long passphrase 1"})
    session = run.call("POST", "/api/v1/auth/session",
                       {"login": "first", "password": "a long passphrase 1"})["access_token"]
    page = httpx.get(run.url + "/api/v1/auth/moodle/enter", timeout=10,
                     headers={"Authorization": f"Bearer {session}"})
    page.raise_for_status()
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found, page.text
    assert jwt.get_unverified_header(html.unescape(found[1]))["kid"] in published
    assert "does not decrypt" not in run.text()


def test_sigterm_to_the_process_group_stops_everything(make_run: Run) -> None:
    family = started_and_grading(make_run)
    signs_with_the_first_key(make_run)
    stop_and_check(make_run, family, signal.SIGTERM)
    # No terminal: JSON lines, for whatever collects the logs.
    lines = [line for line in make_run.text().splitlines() if line.startswith("{")]
    assert lines and all("level" in json.loads(line) for line in lines)


@pytest.mark.parametrize("make_run", [True], indirect=True, ids=["stdout-a-terminal"])
def test_sigint_to_the_process_group_stops_everything(make_run: Run) -> None:
    family = started_and_grading(make_run)
    stop_and_check(make_run, family, signal.SIGINT)
    # Its output is a terminal: readable lines, not JSON.
    output = make_run.text()
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO uvicorn\.error: ", output, re.M)
    assert not any(line.startswith('{"') for line in output.splitlines())


def test_a_child_that_dies_stops_the_others(tmp_path: Path) -> None:
    """The bridge cannot take its port: the workers are stopped too and the run fails."""
    env = run_env(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["PORT"])))
        taken.listen()
        log_file = tmp_path / "run.log"
        with open(log_file, "wb") as out:
            # The script make calls, with the venv's binaries: nothing is installed or built.
            process = subprocess.Popen([str(REPO / "scripts" / "run.sh")], cwd=REPO, env=env,
                                       stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        seen: dict[tuple[int, int], Proc] = {}

        def workers_up() -> bool:
            seen.update(((p.pid, p.start), p) for p in descendants(process.pid))
            return sum("celery" in p.cmd for p in seen.values()) >= 2
        try:
            wait_until(workers_up, timeout=120, interval=0.1, what="the workers to start")
            assert process.wait(timeout=STOP_BOUND_S) != 0
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    family = list(seen.values())
    wait_until(lambda: not still_alive(family), timeout=STOP_BOUND_S,
               what=lambda: f"every process to exit: {still_alive(family)}")
    output = log_file.read_text()
    assert "a process exited by itself" in output and "[run] stopped" in output
