#!/usr/bin/python3
"""The fork server: one warm interpreter per container that forks one fresh process per step.

Started by the runner (``python3 -E -s forkserver.py FD``) before any job exists, as root with
only CAP_SETUID and CAP_SETGID. It imports the standard library and then never learns anything
of a job: a request carries a uid, the limits and four descriptors (stdin, stdout, stderr and a
spec holding the argv, environment and working directory). Only the forked child reads the spec,
so the server's memory holds no test's input, argument or file name, not even as freed bytes,
and a student's ``gc`` walk or scan of its own memory finds none of the other tests.

The child drops to the step's uid (which nothing else ever ran as), closes every descriptor but
0, 1 and 2, and then either execs the command (anything not Python, in an image without the
spawn helper: the runner spawns those itself where it can, see spawn.py) or, for ``python3
[-E] [-s] script|-m module``, runs it in place as ``__main__``: the interpreter start-up is the
cost it saves. Standard library only: this file is copied into the runner images.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import resource
import select
import signal
import socket
import sys
import time
from typing import Any

import spawn
import warm

# Imported once here so that a student's `import` of them costs nothing in the child.
# `random` reseeds itself in every forked child (os.register_at_fork).
PRELOAD = ("atexit", "bisect", "collections", "dataclasses", "functools", "heapq", "io",
           "itertools", "math", "random", "re", "runpy", "string", "threading", "traceback",
           "types", "typing")
MAX_REQUEST = 4096
MAX_SPEC = 1 << 20


def limit(limits: dict[str, int]) -> None:
    """rlimits of one step; set while still root, before the uid is dropped."""
    for name, value in limits.items():
        if name == "as" and value == 0:  # no address-space limit for this language
            continue
        number = getattr(resource, f"RLIMIT_{name.upper()}")
        resource.setrlimit(number, (value, value + 1 if name == "cpu" else value))
    try:  # the kernel's OOM killer should pick student code before the runner
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass


def drop_to(uid: int) -> None:
    """Become `uid` for good: real, effective and saved ids, no supplementary groups."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def child(uid: int, limits: dict[str, int], fds: list[int]) -> None:
    """Runs in the forked child: set up the step's process, then run it; never returns."""
    stdin, stdout, stderr, spec_fd = fds
    argv0 = "?"
    try:
        os.setsid()
        spec = json.loads(os.pread(spec_fd, MAX_SPEC, 0))
        argv0 = spec["argv"][0]
        os.dup2(stdin, 0)
        os.dup2(stdout, 1)
        os.dup2(stderr, 2)
        os.closerange(3, 65536)  # the control socket included: the child holds only 0, 1, 2
        limit(limits)
        drop_to(uid)
        warm.set_dumpable(True)  # its own process, as after an exec; the server stays closed
        os.chdir(spec["cwd"])
        os.umask(0o022)
        plan = warm.python_plan(spec["argv"])
        if plan is not None:
            warm.run_python(plan, spec["argv"], spec["env"], spec["cwd"])  # never returns
        # Python ignores these two; a C program must get the default actions back.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        os.execvpe(argv0, spec["argv"], spec["env"])
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.write(2, f"cannot start {argv0}: {exc}\n".encode())
    os._exit(127)


def sweep(uid: int) -> None:
    """kill(-1) from a process of `uid` reaches all of that uid's processes, and nothing else."""
    for _ in range(20):
        try:
            killer = os.fork()
            break
        except BlockingIOError:  # the container's pids cgroup is full: the kill frees it
            time.sleep(0.005)
    else:
        raise OSError("cannot fork a killer")
    if killer == 0:
        try:
            drop_to(uid)
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                for _ in range(3):
                    try:
                        os.kill(-1, sig)
                    except ProcessLookupError:
                        break
        finally:
            os._exit(0)
    os.waitpid(killer, 0)


class Server:
    """The request loop: run a step, sweep a uid, report how each child ended."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.children: dict[int, tuple[int, float]] = {}  # pidfd -> (pid, started)

    def send(self, message: dict[str, Any]) -> None:
        self.sock.send(json.dumps(message).encode())

    def serve(self) -> None:
        self.send({"op": "ready"})
        while True:
            ready, _, _ = select.select([self.sock.fileno(), *self.children], [], [])
            for fd in ready:
                if fd in self.children:
                    self.collect(fd)
            if self.sock.fileno() in ready and not self.request():
                return

    def request(self) -> bool:
        data, fds, _, _ = socket.recv_fds(self.sock, MAX_REQUEST, 8)
        if not data:
            return False
        message = json.loads(data)
        if message["op"] == "run":
            self.start(message, fds)
        elif message["op"] == "sweep":
            for fd in fds:
                os.close(fd)
            try:
                sweep(message["uid"])
                self.send({"op": "swept", "uid": message["uid"]})
            except OSError as exc:
                self.send({"op": "swept", "uid": message["uid"], "error": str(exc)})
        return True

    def start(self, message: dict[str, Any], fds: list[int]) -> None:
        try:
            if len(fds) != 4:
                raise OSError(f"expected 4 descriptors, got {len(fds)}")
            started = time.monotonic()
            pid = os.fork()
            if pid == 0:
                child(message["uid"], message["limits"], fds)
            self.children[os.pidfd_open(pid)] = (pid, started)
        except OSError as exc:
            self.send({"op": "exited", "error": f"cannot fork: {exc}"})
        finally:
            for fd in fds:
                os.close(fd)

    def collect(self, pidfd: int) -> None:
        pid, started = self.children.pop(pidfd)
        os.close(pidfd)
        alone = spawn.last_pid() == pid  # before the reap, as spawn.Spawned.reap explains
        _, status, usage = os.wait4(pid, 0)
        self.send({
            "op": "exited", "status": status, "wall_s": round(time.monotonic() - started, 4),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 4), "max_rss_kb": usage.ru_maxrss,
            "alone": alone,
        })


def main() -> int:
    warm.set_dumpable(False)
    if sys.argv[2:3] == ["preload"]:
        for name in PRELOAD:
            importlib.import_module(name)
    sock = socket.socket(fileno=int(sys.argv[1]))
    # What the children copy stays shared: no collection touches the server's objects again.
    gc.collect()
    gc.freeze()
    Server(sock).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
