"""The Docker engine calls a sandbox makes: start a hardened container, exec its runner, remove.

None of these is on a submission's critical path: a container and its runner are started
before a job arrives and then serve many jobs over the runner's open stdin and stdout.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import uuid
from typing import Any

import docker
from docker.errors import APIError, DockerException, NotFound

from grader.config import GraderSettings
from grader.languages import RUNNER
from grader.metrics import SandboxFailure, sandbox_failure
from grader.sandbox import SandboxError

log = logging.getLogger(__name__)

LABEL = "moodle-bridge.sandbox"
OWNER_LABEL = "moodle-bridge.owner"
INSTANCE_LABEL = "moodle-bridge.sandbox-instance"
UID_LABEL = "moodle-bridge.uid-base"
# Each container's steps take uids from a range of their own: RLIMIT_NPROC counts a uid's
# processes across the whole kernel, so two containers stepping through the same uids would
# share (and could exhaust) each other's process limit. A range serves one container's life
# (max_uses submissions x their steps); a runner that runs out reports an error and its
# container is replaced.
UIDS_PER_SANDBOX = 1 << 16
UID_SLOTS = ((1 << 31) - 1) // UIDS_PER_SANDBOX - 1
# The runner's only privileges: switching every step to a uid of its own. No student process
# holds any capability (they run under other uids, with no-new-privileges).
RUNNER_CAPABILITIES = ["SETUID", "SETGID"]


def owner() -> str:
    """This process, as recorded on the containers it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Engine:
    """One Docker client and the labels that tie containers to this sandbox instance."""

    def __init__(self, settings: GraderSettings, client: docker.DockerClient) -> None:
        self.settings = settings
        self.client = client
        self.owner = owner()
        self.instance = uuid.uuid4().hex
        self._uid_bases: dict[str, int] = {}

    def _free_uid_base(self) -> int:
        """A uid range no live sandbox on this engine uses (random among the free ones)."""
        taken = set()
        for container in self.client.containers.list(filters={"label": f"{LABEL}=1"}):
            value = container.labels.get(UID_LABEL, "")
            if value.isdigit():
                taken.add(int(value))
        first = self.settings.uid_base
        slots = min(UID_SLOTS, ((1 << 31) - 1 - first) // UIDS_PER_SANDBOX - 1)
        for _ in range(64):
            base = first + secrets.randbelow(slots) * UIDS_PER_SANDBOX
            if base not in taken:
                return base
        raise SandboxError("no free uid range for a sandbox container")

    def start_container(self, image_id: str, language: str) -> str:
        """Start one hardened, idle container and return its name."""
        s = self.settings
        api = self.client.api
        name = f"mb-sandbox-{language}-{uuid.uuid4().hex[:12]}"
        try:
            uid_base = self._free_uid_base()
        except DockerException as exc:
            raise SandboxError(f"cannot list sandbox containers: {exc}") from exc
        tmpfs_opts = f"rw,exec,nosuid,nodev,size={s.tmpfs_mb}m,mode=1777"
        memory = f"{s.max_memory_mb + 128}m"
        host_config = api.create_host_config(
            auto_remove=True,
            init=True,  # reaps the orphans of killed student processes
            network_mode="none",
            read_only=True,
            tmpfs={"/tmp": tmpfs_opts, "/work": tmpfs_opts},
            ipc_mode="none",  # no /dev/shm at all
            cap_drop=["ALL"],
            cap_add=RUNNER_CAPABILITIES,
            security_opt=["no-new-privileges"],
            pids_limit=s.pids_limit,
            mem_limit=memory,
            memswap_limit=memory,
            nano_cpus=int(s.cpus * 1e9),
            ulimits=[{"Name": "core", "Soft": 0, "Hard": 0},
                     {"Name": "nofile", "Soft": 256, "Hard": 256}],
            log_config={"Type": "none", "Config": {}},
        )
        try:
            api.create_container(
                image_id,
                command=["sleep", str(s.container_ttl_s)],
                name=name,
                # Root so that the runner exec'd later holds CAP_SETUID/SETGID; the idle
                # process and init take no input. Students never run as root.
                user="0:0",
                working_dir="/tmp",
                environment={},
                hostname="sandbox",
                network_disabled=True,
                host_config=host_config,
                labels={LABEL: "1", OWNER_LABEL: self.owner, INSTANCE_LABEL: self.instance,
                        "moodle-bridge.language": language, UID_LABEL: str(uid_base)},
            )
            api.start(name)
            self._uid_bases[name] = uid_base
        except DockerException as exc:
            sandbox_failure(SandboxFailure.START_FAILED)
            self.remove_container(name)
            raise SandboxError(f"cannot start a sandbox container: {exc}") from exc
        return name

    def start_runner(self, container_name: str, language: str) -> Any:
        """Exec the runner; it serves jobs on its stdin/stdout. Returns the attached socket."""
        api = self.client.api
        uid_base = self._uid_bases.pop(container_name)
        argv = [*RUNNER, str(uid_base), str(UIDS_PER_SANDBOX), language]
        exec_id = api.exec_create(
            container_name, argv, stdin=True, stdout=True,
            stderr=True, tty=False, user="0:0", workdir="/", environment={"LANG": "C.UTF-8"},
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

    def containers(self) -> list[str]:
        """Names of the containers this instance started."""
        found = self.client.containers.list(
            all=True, filters={"label": [f"{LABEL}=1", f"{INSTANCE_LABEL}={self.instance}"]}
        )
        return [c.name for c in found]


def reap_orphans(client: docker.DockerClient) -> list[str]:
    """Remove sandbox containers whose owning process on this host is gone."""
    host = socket.gethostname()
    removed = []
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
        label = container.labels.get(OWNER_LABEL, "")
        owner_host, _, pid = label.partition(":")
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
