"""A step's process started without a fork: the runner posix_spawns the static `spawn` helper.

posix_spawn does not copy the runner's memory (a vfork), and the helper (spawn.c) sets the
step's rlimits, session and ids before it execs the program, so a C test costs two execs
and no Python at all between the runner and the student's program. The runner never holds
anything the child inherits but descriptors 0-2: the helper closes the rest before its exec.

Standard library only: this file is copied into the runner images.
"""

from __future__ import annotations

import os
import select
import time
from typing import Any

HELPER = "/opt/grader/spawn"
LAST_PID = "/proc/sys/kernel/ns_last_pid"


def available() -> bool:
    """The helper is in this image (the C image builds it; the Python one has no compiler)."""
    return os.access(HELPER, os.X_OK)


def last_pid() -> int | None:
    """The pid this pid namespace allocated last (threads included)."""
    try:
        fd = os.open(LAST_PID, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return int(os.read(fd, 32))
    except ValueError:
        return None
    finally:
        os.close(fd)


class Spawned:
    """One step's process: started at once, watched through a pidfd, reaped with its usage."""

    def __init__(self, argv: list[str], env: dict[str, str], uid: int, cwd: str,
                 limits: dict[str, int], fds: tuple[int, int, int]) -> None:
        helper_argv = [HELPER, str(uid), cwd, *(str(limits[name]) for name in
                                                ("cpu", "as", "nproc", "fsize", "nofile")),
                       *argv]
        self.started = time.monotonic()
        self.pid = os.posix_spawn(
            HELPER, helper_argv, env,
            file_actions=[(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)],
        )
        self.pidfd = os.pidfd_open(self.pid)

    def fileno(self) -> int:
        """Readable once the process has exited."""
        return self.pidfd

    def reap(self) -> dict[str, Any]:
        """How it ended; `alone` when no process at all was created after it (it made none)."""
        # Read before the reap: while the zombie holds its pid, no later process can get it,
        # so "the last pid allocated is this one" means nothing was started since.
        alone = last_pid() == self.pid
        _, status, usage = os.wait4(self.pid, 0)
        os.close(self.pidfd)
        return {"status": status, "wall_s": round(time.monotonic() - self.started, 4),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
                "max_rss_kb": usage.ru_maxrss, "alone": alone}

    def exited_within(self, seconds: float) -> bool:
        return bool(select.select([self.pidfd], [], [], seconds)[0])
