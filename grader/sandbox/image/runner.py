#!/usr/bin/python3
"""Runs submissions inside a sandbox container, one after another, for the container's life.

The worker starts it once per container (``docker exec`` as root; the container grants only
CAP_SETUID and CAP_SETGID) and keeps its stdin and stdout: each job is a decimal length, a
newline and that many bytes of JSON; each answer is framed the same way. Nothing of a job
travels on any other channel, and no student process ever holds one of these descriptors.

Every step (the compile, then each test) runs under a uid of its own that nothing else in the
container ever had. A Python program runs as a child of the fork server (forkserver.py), a
warm interpreter that holds nothing of any job; any other command (gcc, a compiled program)
is posix_spawned through the static spawn helper (spawn.py, spawn.c) where the image has it.
A test gets a fresh copy of the build directory as its working directory, its stdin from a
memory file, its own pipes; when it ends, everything its uid left (processes, files, IPC
objects) is removed before the next test starts, and a job reports ``clean`` only when that
was verified. Expected outputs never enter the sandbox.

Standard library only: this file is copied into the runner images.
"""

from __future__ import annotations

import base64
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import scratch
import spawn
import warm

MAX_JOB_BYTES = 64 * 1024 * 1024
FORKSERVER = ["/usr/bin/python3", "-E", "-s", "/opt/grader/forkserver.py"]
LOCALE = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
STUDENT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    **LOCALE,
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}
LINGER_S = 0.05  # how long a finished test's descendants may keep its pipes open


class ForkServer:
    """The runner's end of the fork server's control socket."""

    def __init__(self, preload: bool) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.preload = preload
        self.direct = spawn.available()  # exec'd commands skip the fork server
        self.process = subprocess.Popen(
            [*FORKSERVER, str(theirs.fileno()), "preload" if preload else "bare"],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, env=LOCALE, cwd="/",
        )
        theirs.close()
        self.sock = ours
        self.pending: list[dict[str, Any]] = []
        self.wait("ready", time.monotonic() + 30)

    def send(self, message: dict[str, Any], fds: list[int] | None = None) -> None:
        socket.send_fds(self.sock, [json.dumps(message).encode()], fds or [])

    def receive(self) -> dict[str, Any]:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("the fork server is gone")
        message: dict[str, Any] = json.loads(data)
        return message

    def take(self, op: str) -> dict[str, Any] | None:
        for index, message in enumerate(self.pending):
            if message["op"] == op:
                return self.pending.pop(index)
        return None

    def wait(self, op: str, deadline: float) -> dict[str, Any]:
        while (found := self.take(op)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise TimeoutError(f"the fork server did not answer {op!r}")
            self.pending.append(self.receive())
        return found

    def sweep(self, uid: int) -> None:
        """Kill every process of `uid` (stopped first, so none can fork away)."""
        self.send({"op": "sweep", "uid": uid})
        answer = self.wait("swept", time.monotonic() + 10)
        if "error" in answer:
            raise RuntimeError(f"sweep of uid {uid} failed: {answer['error']}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.sock.close()
        self.process.kill()
        self.process.wait()


def memory_file(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def child_limits(limits: dict[str, Any], time_s: float, memory_mb: int) -> dict[str, int]:
    """A step's rlimits; "as" 0 leaves the address space unlimited (a JVM reserves far more
    than it uses: its heap flags and the container's memory cgroup hold it instead)."""
    extra = limits.get("address_space_extra_mb", 0)
    return {
        "cpu": int(time_s) + 1,
        "as": 0 if extra is None else (memory_mb + extra) * 1024 * 1024,
        "nproc": limits["processes"],
        "fsize": limits["file_size_bytes"],
        "nofile": 64,
        "core": 0,
    }


def run_step(fs: ForkServer, step: dict[str, Any], uid: int, cwd: str,
             limits: dict[str, Any], time_s: float) -> tuple[dict[str, Any], bool]:
    """Run one step as `uid` in `cwd`; capture capped stdout/stderr and how it ended.

    Also returns whether the step's process was alone: no process at all was started after it
    (so the step left no process). A Python program runs in a child of the warm fork server;
    anything else (gcc, a compiled program) is spawned directly through the spawn helper.
    """
    cap = limits["output_bytes"]
    env = dict(STUDENT_ENV, HOME=cwd, TMPDIR="/tmp", **(step.get("env") or {}))
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    stdin = memory_file("stdin", base64.b64decode(step.get("stdin", "")))
    started = time.monotonic()
    child: spawn.Spawned | None = None
    rlimits = child_limits(limits, time_s, step.get("memory_mb") or limits["memory_mb"])
    try:
        if fs.direct and warm.python_plan(step["argv"]) is None:
            child = spawn.Spawned(step["argv"], env, uid, cwd, rlimits, (stdin, out_w, err_w))
        else:
            spec = memory_file("spec", json.dumps({"argv": step["argv"], "env": env,
                                                   "cwd": cwd}).encode())
            try:
                fs.send({"op": "run", "uid": uid, "limits": rlimits},
                        [stdin, out_w, err_w, spec])
            finally:
                os.close(spec)
    except BaseException:
        os.close(out_r)
        os.close(err_r)
        raise
    finally:
        for fd in (stdin, out_w, err_w):
            os.close(fd)
    watch = child.fileno() if child is not None else fs.sock.fileno()
    buffers: dict[int, bytearray] = {out_r: bytearray(), err_r: bytearray()}
    open_fds = {out_r, err_r}
    deadline = started + time_s
    ended: dict[str, Any] | None = None
    ended_at = 0.0
    timed_out = output_exceeded = False

    def drain(fds: list[int]) -> None:
        nonlocal output_exceeded
        for fd in fds:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            buffers[fd] += chunk
            output_exceeded = output_exceeded or len(buffers[fd]) > cap

    while not output_exceeded and (ended is None or open_fds):
        now = time.monotonic()
        if ended is None and now >= deadline:
            timed_out = True
            break
        if ended is not None and now - ended_at >= LINGER_S:
            break  # the process is gone; a descendant (setsid, daemon) still holds the pipes
        wait = deadline - now if ended is None else LINGER_S - (now - ended_at)
        ready, _, _ = select.select([*open_fds, *([watch] if ended is None else [])], [], [],
                                    wait)
        if ended is None and watch in ready:
            if child is not None:
                ended = child.reap()
            else:
                fs.pending.append(fs.receive())
                ended = fs.take("exited")
            ended_at = time.monotonic()
        drain([fd for fd in ready if fd in open_fds])
    if ended is None:  # still running: stop it now (cleanup() sweeps what a finished one left)
        ended = stop(fs, uid, child)
    if "error" in ended:
        raise RuntimeError(ended["error"])
    for fd in list(open_fds):  # whatever was written before the kill
        while fd in open_fds and select.select([fd], [], [], 0)[0]:
            drain([fd])
    os.close(out_r)
    os.close(err_r)
    status = ended["status"]
    return {
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "timed_out": timed_out,
        "output_exceeded": output_exceeded,
        "stdout": base64.b64encode(bytes(buffers[out_r][:cap])).decode(),
        "stderr": base64.b64encode(bytes(buffers[err_r][:cap])).decode(),
        "wall_s": min(ended["wall_s"], round(time.monotonic() - started, 4)),
        "cpu_s": ended["cpu_s"],
        "max_rss_kb": ended["max_rss_kb"],
    }, bool(ended.get("alone"))


def stop(fs: ForkServer, uid: int, child: spawn.Spawned | None) -> dict[str, Any]:
    """Kill a step that is still running; how it ended."""
    if child is None:
        fs.sweep(uid)
        return fs.wait("exited", time.monotonic() + 10)
    give_up = time.monotonic() + 10
    # A sweep reaches the processes of `uid`: the helper is one only once it dropped to it.
    while True:
        fs.sweep(uid)
        if child.exited_within(0.05):
            return {**child.reap(), "alone": False}
        if time.monotonic() > give_up:
            raise TimeoutError(f"the step of uid {uid} does not die")


def cleanup(fs: ForkServer, uid: int, alone: bool, workdir: str,
            baseline: scratch.Listing | None, keep: bool = False) -> bool:
    """Remove everything `uid` left (but `workdir` if `keep`); True when nothing of it is left.

    `alone` (no process was started after the step's own) spares the search for processes;
    a `baseline` (what the writable places held before the step, nothing the step could write
    into) spares the search for files when the step made nothing outside `workdir`.
    """
    alive = [] if alone else scratch.processes_of(uid)
    if alive:
        fs.sweep(uid)
        gone_by = time.monotonic() + 2
        while (alive := scratch.processes_of(uid)) and time.monotonic() < gone_by:
            time.sleep(0.002)  # SIGKILLed processes take a moment to exit
    if not alive and baseline is not None and scratch.only_in(uid, workdir, baseline,
                                                              remove=not keep):
        left: list[str] = []
    else:
        left = scratch.remove_files_of(uid, workdir if keep else None)
    return not alive and not left and scratch.remove_ipc_of(uid) == 0


def run_job(job: dict[str, Any], fs: ForkServer, uids: Iterator[int]) -> dict[str, Any]:
    """Compile once (if the language does), then run every test; report `clean`."""
    limits = job["limits"]
    build_uid = next(uids)
    build = f"/work/b{build_uid}"
    # Between steps the writable places hold the build directory and nothing else; a step
    # that is seen to have added nothing but its own directory is cleaned without a search.
    nothing = {top: frozenset[str]() for top in scratch.SCRATCH_DIRS}
    baseline: scratch.Listing | None = None
    if scratch.listings() == nothing:
        baseline = {**nothing, "/work": frozenset({os.path.basename(build)})}
    with scratch.as_user(build_uid):
        os.mkdir(build, 0o755)
        scratch.write_files(build, job["files"])
    result: dict[str, Any] = {"compile": None, "tests": []}
    deadline = time.monotonic() + limits["total_time_s"]
    clean = True
    try:
        if job.get("compile"):
            step = job["compile"]
            compiled, alone = run_step(fs, step, build_uid, build, limits, step["time_s"])
            result["compile"] = compiled
            clean = cleanup(fs, build_uid, alone, build, baseline, keep=True) and clean
            if compiled["exit_code"] != 0 or compiled["timed_out"]:
                return result
        with scratch.as_user(build_uid):
            if not clean or scratch.writable_by_others(build):
                baseline = None  # a test might write where the check does not look
        for test in job["tests"]:
            if time.monotonic() >= deadline:
                result["tests"].append({"id": test["id"], "skipped": "total time limit reached"})
                continue
            uid = next(uids)
            cwd = f"/work/t{uid}"
            with scratch.as_user(uid):
                scratch.copy_tree(build, cwd)
                scratch.write_files(cwd, test.get("files", {}))
            time_s = min(test["time_s"], max(deadline - time.monotonic(), 0.05))
            outcome, alone = run_step(fs, test, uid, cwd, limits, time_s)
            outcome["id"] = test["id"]
            if test.get("read_back"):
                with scratch.as_user(uid):
                    outcome["read_back"] = scratch.read_back(cwd, test["read_back"],
                                                             limits["output_bytes"] * 4)
            clean = cleanup(fs, uid, alone, cwd, baseline if clean else None) and clean
            result["tests"].append(outcome)
    finally:
        clean = cleanup(fs, build_uid, False, build, nothing if clean else None) and clean
        result["clean"] = clean
    return result


def read_frame() -> dict[str, Any] | None:
    """A decimal length, a newline, then that many bytes of JSON; None at the end of input."""
    header = b""
    while not header.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte:
            if header:
                raise EOFError("job stream ended in a header")
            return None
        if len(header) > 20:
            raise ValueError("malformed job header")
        header += byte
    length = int(header)
    if not 0 < length <= MAX_JOB_BYTES:
        raise ValueError("job too large")
    chunks, got = [], 0
    while got < length:
        chunk = os.read(0, min(1 << 20, length - got))
        if not chunk:
            raise EOFError("job stream ended early")
        chunks.append(chunk)
        got += len(chunk)
    job: dict[str, Any] = json.loads(b"".join(chunks))
    return job


def write_frame(message: dict[str, Any]) -> None:
    payload = json.dumps(message).encode()
    view = memoryview(str(len(payload)).encode() + b"\n" + payload)
    while view:
        view = view[os.write(1, view):]


def main() -> int:
    warm.set_dumpable(False)
    # Every step takes the next uid of this container's own range (argv: base, size).
    base, size = int(sys.argv[1]), int(sys.argv[2])
    uids = iter(range(base + 1, base + size))
    # Only Python programs gain from a warm standard library; a C test is a fork and an exec,
    # cheaper from a smaller server.
    preload = sys.argv[3:4] == ["python"]
    fs = ForkServer(preload)
    write_frame({"ready": True})
    while (job := read_frame()) is not None:
        try:
            if not fs.alive():
                fs.close()
                fs = ForkServer(preload)
            result = run_job(job, fs, uids)
        except Exception as exc:  # the worker turns this into a sandbox error
            result = {"runner_error": f"{type(exc).__name__}: {exc}"}
        write_frame(result)
    fs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
