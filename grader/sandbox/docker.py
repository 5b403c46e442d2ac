"""Docker sandbox: hardened containers, each serving submissions one at a time.

Every submission runs under a uid no earlier submission in that container had, through a
runner exec that was started (and paid for) before the job arrived, so the exec's cost is off
the critical path. The runner kills and deletes everything its uid left; a run that is not
verified clean, hits the host wall clock or misbehaves retires the container. With
``max_uses=1`` every submission gets a container of its own.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import struct
import threading
import time
import uuid
from base64 import b64decode, b64encode
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import docker
from docker.errors import APIError, DockerException, NotFound
from docker.types import Ulimit

from grader.config import GraderSettings
from grader.images import ImageMissing, ensure_image
from grader.languages import LANGUAGES, RUNNER
from grader.metrics import SandboxFailure, sandbox_failure
from grader.sandbox import (
    ProcessOutcome,
    SandboxError,
    SandboxJob,
    SandboxOutcome,
    Step,
)

log = logging.getLogger(__name__)

LABEL = "moodle-bridge.sandbox"
OWNER_LABEL = "moodle-bridge.owner"
INSTANCE_LABEL = "moodle-bridge.sandbox-instance"
MAX_RESULT_BYTES = 256 * 1024 * 1024


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class _Slot:
    """A runner already started in a container, waiting on stdin for one job."""

    container_name: str
    uid: int
    sock: Any


class _Pool:
    """The container (and the next prepared runner) for one language in this process."""

    def __init__(self, sandbox: DockerSandbox, language: str) -> None:
        self.sandbox = sandbox
        self.language = language
        self.image_id = ensure_image(sandbox.client, LANGUAGES[language])
        self.container_name: str | None = None
        self.started_at = 0.0
        self.uses = 0
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"pool-{language}")
        self.next_slot: Future[_Slot] | None = None
        self.lock = threading.Lock()

    def take(self) -> _Slot:
        if self.next_slot is None:
            self.prepare_next()
        assert self.next_slot is not None
        future, self.next_slot = self.next_slot, None
        try:
            return future.result()
        except Exception:
            log.warning("prepared sandbox slot failed; starting a fresh container", exc_info=True)
            sandbox_failure(SandboxFailure.PREPARE_FAILED)
            self.retire()
            return self.prepare()

    def prepare_next(self) -> None:
        self.next_slot = self.executor.submit(self.prepare)

    def prepare(self) -> _Slot:
        with self.lock:
            settings = self.sandbox.settings
            worn = self.uses >= settings.max_uses
            old = time.monotonic() - self.started_at > settings.container_ttl_s * 0.8
            if self.container_name is None or worn or old:
                self.retire()
                self.container_name = self.sandbox.start_container(self.image_id, self.language)
                self.started_at = time.monotonic()
                self.uses = 0
            self.uses += 1
            uid = settings.uid_base + self.uses
            sock = self.sandbox.start_runner(self.container_name, uid)
            return _Slot(self.container_name, uid, sock)

    def retire(self) -> None:
        if self.container_name is not None:
            self.sandbox.remove_container(self.container_name)
            self.container_name = None

    def close(self) -> None:
        if self.next_slot is not None:
            try:
                slot = self.next_slot.result(timeout=30)
                slot.sock.close()
            except Exception:  # noqa: S110 - the container goes away below regardless
                pass
        self.executor.shutdown(wait=True)
        self.retire()


class DockerSandbox:
    """The Docker implementation of :class:`grader.sandbox.Sandbox`."""

    def __init__(self, settings: GraderSettings, client: docker.DockerClient | None = None):
        self.settings = settings
        self.client = client or docker.from_env(timeout=120)
        self.owner = _owner()
        self.instance = uuid.uuid4().hex
        self.pools: dict[str, _Pool] = {}

    def image_digest(self, language: str) -> str:
        """The id of the image that runs `language`."""
        return self._pool(language).image_id

    def _pool(self, language: str) -> _Pool:
        if language not in self.pools:
            try:
                self.pools[language] = _Pool(self, language)
            except ImageMissing:
                raise
            except Exception as exc:  # the engine is down or unreachable: retry later
                sandbox_failure(SandboxFailure.ENGINE_UNAVAILABLE)
                raise SandboxError(f"Docker engine unavailable: {exc}") from exc
        return self.pools[language]

    def run(self, job: SandboxJob) -> SandboxOutcome:
        """Run `job` under a fresh uid in a warm container and return the raw outcomes."""
        pool = self._pool(job.language)
        slot = pool.take()
        deadline = self._deadline(job)
        try:
            raw = self._exchange(slot, _encode_job(job), deadline)
        except TimeoutError:
            log.warning("sandbox %s exceeded the host wall clock; removing it", slot.container_name)
            sandbox_failure(SandboxFailure.WALL_CLOCK)
            pool.retire()
            pool.prepare_next()
            return _aborted(job, pool.image_id, "total time limit exceeded", timed_out=True)
        except EOFError:
            # The runner died mid-run: only the submission's own processes share its uid.
            log.warning("runner in %s ended without a result; replacing it", slot.container_name)
            sandbox_failure(SandboxFailure.RUNNER_KILLED)
            pool.retire()
            pool.prepare_next()
            return _aborted(job, pool.image_id, "the run was aborted: the program killed or "
                            "starved its test runner", timed_out=False)
        except (OSError, ValueError, DockerException) as exc:
            sandbox_failure(SandboxFailure.RUN_ERROR)
            pool.retire()
            pool.prepare_next()
            raise SandboxError(f"sandbox run failed: {exc}") from exc
        finally:
            slot.sock.close()
        if "runner_error" in raw or not raw.get("clean", False):
            # Anything left behind (or a runner that could not finish) retires the container.
            log.warning("sandbox %s not clean after uid %s; replacing it",
                        slot.container_name, slot.uid)
            sandbox_failure(SandboxFailure.RUNNER_ERROR if "runner_error" in raw
                            else SandboxFailure.UNCLEAN)
            pool.retire()
        pool.prepare_next()
        if "runner_error" in raw:
            raise SandboxError(f"runner failed: {raw['runner_error']}")
        return _decode_outcome(job, pool.image_id, raw)

    def _deadline(self, job: SandboxJob) -> float:
        compile_s = job.compile.time_s if job.compile else 0.0
        return time.monotonic() + job.limits.total_time_s + compile_s + self.settings.host_margin_s

    def _exchange(self, slot: _Slot, payload: bytes, deadline: float) -> dict[str, Any]:
        raw_sock = getattr(slot.sock, "_sock", slot.sock)
        raw_sock.settimeout(max(deadline - time.monotonic(), 0.1))
        raw_sock.sendall(str(len(payload)).encode() + b"\n" + payload)
        reader = _FrameReader(raw_sock, deadline)
        header = reader.read_line()
        length = int(header)
        if not 0 < length <= MAX_RESULT_BYTES:
            raise ValueError(f"runner announced {length} bytes")
        result: dict[str, Any] = json.loads(reader.read_exact(length))
        return result

    # -- containers ---------------------------------------------------------------------

    def start_container(self, image_id: str, language: str) -> str:
        """Start one hardened, idle container and return its name."""
        s = self.settings
        name = f"mb-sandbox-{language}-{uuid.uuid4().hex[:12]}"
        tmpfs_opts = f"rw,exec,nosuid,nodev,size={s.tmpfs_mb}m,mode=1777"
        memory = f"{s.max_memory_mb + 128}m"
        try:
            self.client.containers.run(
                image_id,
                command=["sleep", str(s.container_ttl_s)],
                name=name,
                detach=True,
                auto_remove=True,
                init=True,  # reaps the orphans of killed student processes
                user="65534:65534",
                working_dir="/tmp",
                environment={},
                hostname="sandbox",
                network_mode="none",
                read_only=True,
                tmpfs={"/tmp": tmpfs_opts, "/work": tmpfs_opts},
                ipc_mode="none",  # no /dev/shm at all
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                pids_limit=s.pids_limit,
                mem_limit=memory,
                memswap_limit=memory,
                nano_cpus=int(s.cpus * 1e9),
                ulimits=[Ulimit(name="core", soft=0, hard=0),
                         Ulimit(name="nofile", soft=256, hard=256)],
                log_config={"type": "none"},
                labels={LABEL: "1", OWNER_LABEL: self.owner, INSTANCE_LABEL: self.instance,
                        "moodle-bridge.language": language},
            )
        except DockerException as exc:
            sandbox_failure(SandboxFailure.START_FAILED)
            raise SandboxError(f"cannot start a sandbox container: {exc}") from exc
        return name

    def start_runner(self, container_name: str, uid: int) -> Any:
        """Exec the runner as `uid`; it waits on stdin. Returns the attached socket."""
        api = self.client.api
        exec_id = api.exec_create(
            container_name, RUNNER, stdin=True, stdout=True, stderr=True, tty=False,
            user=f"{uid}:{uid}", workdir="/tmp", environment={"LANG": "C.UTF-8"},
        )["Id"]
        return api.exec_start(exec_id, socket=True)

    def remove_container(self, name: str) -> None:
        """Kill and remove a container by name; already gone is fine."""
        try:
            self.client.api.remove_container(name, force=True)
        except NotFound:
            pass
        except APIError as exc:
            if exc.status_code != 409:  # 409: removal already in progress (auto_remove)
                log.warning("could not remove sandbox %s: %s", name, exc)

    def close(self) -> None:
        """Remove every container this sandbox started."""
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()

    def containers(self) -> list[str]:
        """Names of the containers this sandbox started (for tests and operators)."""
        found = self.client.containers.list(
            all=True, filters={"label": [f"{LABEL}=1", f"{INSTANCE_LABEL}={self.instance}"]}
        )
        return [c.name for c in found]


def reap_orphans(client: docker.DockerClient) -> list[str]:
    """Remove sandbox containers whose owning process on this host is gone."""
    host = socket.gethostname()
    removed = []
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
        owner = container.labels.get(OWNER_LABEL, "")
        owner_host, _, pid = owner.partition(":")
        if owner_host != host or not pid.isdigit() or _alive(int(pid)):
            continue
        try:
            container.remove(force=True)
            removed.append(container.name)
        except DockerException:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _FrameReader:
    """Reads the stdout stream out of Docker's multiplexed exec framing."""

    def __init__(self, sock: Any, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.buffer = bytearray()

    def _recv(self, n: int) -> bytes:
        data = bytearray()
        while len(data) < n:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(n - len(data))  # socket.timeout is TimeoutError
            if not chunk:
                raise EOFError("runner ended without a result")
            data += chunk
        return bytes(data)

    def _fill(self) -> None:
        stream, size = struct.unpack(">BxxxL", self._recv(8))
        payload = self._recv(size)
        if stream == 1:
            self.buffer += payload
        elif stream == 2:
            log.debug("runner stderr: %r", payload[:500])

    def read_line(self) -> bytes:
        while b"\n" not in self.buffer:
            if len(self.buffer) > 32:
                raise ValueError("malformed runner header")
            self._fill()
        line, _, rest = bytes(self.buffer).partition(b"\n")
        self.buffer = bytearray(rest)
        return line

    def read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self._fill()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data


def _step(step: Step) -> dict[str, Any]:
    return {
        "id": step.id,
        "argv": step.argv,
        "time_s": step.time_s,
        "stdin": b64encode(step.stdin).decode(),
        "files": {k: b64encode(v).decode() for k, v in step.files.items()},
        "env": step.env,
        "read_back": step.read_back,
    }


def _encode_job(job: SandboxJob) -> bytes:
    limits = job.limits
    return json.dumps({
        "files": {k: b64encode(v).decode() for k, v in job.files.items()},
        "compile": _step(job.compile) if job.compile else None,
        "tests": [_step(t) for t in job.tests],
        "limits": {
            "memory_mb": limits.memory_mb,
            "processes": limits.processes,
            "output_bytes": limits.output_bytes,
            "file_size_bytes": limits.file_size_bytes,
            "total_time_s": limits.total_time_s,
        },
    }).encode()


def _outcome(raw: dict[str, Any]) -> ProcessOutcome:
    def number(key: str) -> Any:
        value = raw.get(key)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    read_back = raw.get("read_back")
    return ProcessOutcome(
        id=str(raw.get("id", "")),
        exit_code=number("exit_code"),
        signal=number("signal"),
        timed_out=bool(raw.get("timed_out")),
        output_exceeded=bool(raw.get("output_exceeded")),
        stdout=b64decode(raw.get("stdout") or ""),
        stderr=b64decode(raw.get("stderr") or ""),
        wall_s=float(number("wall_s") or 0.0),
        cpu_s=number("cpu_s"),
        max_rss_kb=number("max_rss_kb"),
        read_back=b64decode(read_back) if isinstance(read_back, str) else None,
        skipped=raw.get("skipped") if isinstance(raw.get("skipped"), str) else None,
    )


def _decode_outcome(job: SandboxJob, image_id: str, raw: dict[str, Any]) -> SandboxOutcome:
    compiled = _outcome(raw["compile"]) if isinstance(raw.get("compile"), dict) else None
    by_id = {str(t.get("id")): t for t in raw.get("tests", []) if isinstance(t, dict)}
    tests = [_outcome(by_id[t.id]) if t.id in by_id else ProcessOutcome(id=t.id, skipped="not run")
             for t in job.tests]
    return SandboxOutcome(image_digest=image_id, compile=compiled, tests=tests)


def _aborted(job: SandboxJob, image_id: str, why: str, timed_out: bool) -> SandboxOutcome:
    tests = [ProcessOutcome(id=t.id, timed_out=timed_out, skipped=why) for t in job.tests]
    return SandboxOutcome(image_digest=image_id, compile=None, tests=tests, error=why)
