#!/usr/bin/python3
"""Runs one submission inside a sandbox container: compile once, then every test.

Started by the worker (``docker exec`` as a uid used by no other submission) before the job
exists; it waits on stdin for one job, runs it and writes one JSON document to stdout. Student
processes never hold that stdout: they get their own pipes, and the runner makes itself
non-dumpable so they cannot open it through /proc. Expected outputs never enter the sandbox;
the worker compares. Before exiting, the runner kills every process of its uid and deletes
every file its uid owns, then reports whether anything is left.

Standard library only: this file is copied into the runner images.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import stat
import sys
import time
from typing import Any

WORK_ROOT = "/work"
SCRATCH_DIRS = ("/tmp", "/work", "/dev/mqueue")  # the only places a sandbox uid can write
MAX_JOB_BYTES = 64 * 1024 * 1024
PR_SET_DUMPABLE = 4
STUDENT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}


def make_undumpable() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def read_exact(fd: int, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(1 << 20, n - got))
        if not chunk:
            raise EOFError("job stream ended early")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_job() -> dict[str, Any]:
    """A job is a decimal length, a newline, then that many bytes of JSON."""
    header = b""
    while not header.endswith(b"\n"):
        byte = os.read(0, 1)
        if not byte or len(header) > 20:
            raise EOFError("no job header")
        header += byte
    length = int(header)
    if not 0 < length <= MAX_JOB_BYTES:
        raise ValueError("job too large")
    return json.loads(read_exact(0, length))


def safe_join(root: str, relative: str) -> str:
    path = os.path.normpath(os.path.join(root, relative))
    if os.path.isabs(relative) or not path.startswith(root + os.sep):
        raise ValueError(f"unsafe path {relative!r}")
    return path


def write_files(root: str, files: dict[str, str], mode: int = 0o644) -> None:
    for relative, encoded in files.items():
        path = safe_join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(encoded))
        os.chmod(path, mode)


def limit_child(limits: dict[str, Any], time_s: float) -> None:
    """Runs in the child between fork and exec."""
    cpu = int(time_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = limits["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:  # the kernel's OOM killer should pick student code before the runner
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass


def run_process(
    argv: list[str], cwd: str, stdin_path: str, limits: dict[str, Any], time_s: float,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run argv with limits; capture capped stdout/stderr and how it ended."""
    cap = limits["output_bytes"]
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    stdin_fd = os.open(stdin_path, os.O_RDONLY)
    child_env = dict(STUDENT_ENV, HOME=cwd, TMPDIR="/tmp", **(env or {}))
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.setsid()
            os.chdir(cwd)
            os.dup2(stdin_fd, 0)
            os.dup2(out_w, 1)
            os.dup2(err_w, 2)
            os.closerange(3, 1024)
            limit_child(limits, time_s)
            os.execvpe(argv[0], argv, child_env)
        except BaseException as exc:
            os.write(2, f"cannot start {argv[0]}: {exc}\n".encode())
        os._exit(127)
    os.close(stdin_fd)
    os.close(out_w)
    os.close(err_w)
    buffers: dict[int, bytearray] = {out_r: bytearray(), err_r: bytearray()}
    open_fds = {out_r, err_r}
    timed_out = output_exceeded = False
    deadline = started + time_s
    status: int | None = None
    rusage: Any = None
    exited_at: float | None = None

    def drain(fds: list[int]) -> None:
        nonlocal output_exceeded
        for fd in fds:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
                continue
            buffers[fd] += chunk
            if len(buffers[fd]) > cap:
                output_exceeded = True

    while open_fds and not output_exceeded:
        now = time.monotonic()
        if now >= deadline:
            timed_out = status is None
            break
        if status is None:
            done, wait_status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                status, rusage, exited_at = wait_status, usage, now
        elif now - exited_at > 0.05:  # type: ignore[operator]
            # The process is gone; a descendant (setsid, daemon) still holds the pipes.
            break
        ready, _, _ = select.select(list(open_fds), [], [], 0.005 if status is None else 0.01)
        drain(ready)
    kill_all_mine()
    if status is None:
        status, rusage = wait_with_deadline(pid, deadline + 1.0)
    for fd in list(open_fds):  # whatever was written before the kill
        while fd in open_fds and select.select([fd], [], [], 0)[0]:
            drain([fd])
    wall = (exited_at or time.monotonic()) - started
    for fd in (out_r, err_r):
        os.close(fd)
    exit_code = os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None
    term = os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None
    return {
        "exit_code": exit_code,
        "signal": term,
        "timed_out": timed_out or status is None,
        "output_exceeded": output_exceeded,
        "stdout": base64.b64encode(bytes(buffers[out_r][:cap])).decode(),
        "stderr": base64.b64encode(bytes(buffers[err_r][:cap])).decode(),
        "wall_s": round(wall, 4),
        "cpu_s": round(rusage.ru_utime + rusage.ru_stime, 4) if rusage else None,
        "max_rss_kb": rusage.ru_maxrss if rusage else None,
    }


def wait_with_deadline(pid: int, deadline: float) -> tuple[int | None, Any]:
    """Wait for the test's process; past the deadline, kill everything and collect it."""
    while True:
        done, status, rusage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, rusage
        if time.monotonic() > deadline:
            kill_all_mine()
            done, status, rusage = os.wait4(pid, 0)
            return None, rusage
        time.sleep(0.002)


def kill_all_mine() -> None:
    """kill(-1) reaches every process of this uid but the caller: stop them all, then kill."""
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for _ in range(3):
            try:
                os.kill(-1, sig)
            except ProcessLookupError:
                break


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def my_other_processes() -> list[int]:
    me, uid = os.getpid(), os.getuid()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != me:
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except FileNotFoundError:
                pass
    return found


def remove_my_files() -> list[str]:
    """Delete everything this uid owns in the writable places; return what could not go."""
    uid, left = os.getuid(), []
    for top in SCRATCH_DIRS:
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, filenames in os.walk(top, topdown=False):
            for name in filenames + dirnames:
                path = os.path.join(dirpath, name)
                try:
                    info = os.lstat(path)
                except FileNotFoundError:
                    continue
                if info.st_uid != uid:
                    continue
                try:
                    if stat.S_ISDIR(info.st_mode):
                        os.chmod(path, 0o700)
                        shutil.rmtree(path)
                    else:
                        os.unlink(path)
                except OSError:
                    left.append(path)
    return left


def my_ipc_objects() -> int:
    uid, count = os.getuid(), 0
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as handle:
                lines = handle.read().splitlines()[1:]
        except OSError:
            continue
        header_uid_column = 7 if kind == "shm" else (5 if kind == "msg" else 4)
        for line in lines:
            fields = line.split()
            if len(fields) > header_uid_column and fields[header_uid_column] == str(uid):
                count += 1
    return count


def read_back(root: str, relative: str, cap: int) -> str | None:
    """Read a file the student could have replaced: no symlinks, regular files only, capped."""
    try:
        fd = os.open(safe_join(root, relative), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return base64.b64encode(os.read(fd, cap)).decode()
    finally:
        os.close(fd)


def fresh_dir(path: str, source: str | None = None) -> None:
    if os.path.exists(path):
        shutil.rmtree(path)
    if source:
        shutil.copytree(source, path, symlinks=True)
    else:
        os.makedirs(path)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    limits = job["limits"]
    home = os.path.join(WORK_ROOT, f"u{os.getuid()}")
    os.makedirs(home, mode=0o700)
    build, run, inputs = (os.path.join(home, d) for d in ("build", "run", "in"))
    os.makedirs(build)
    os.makedirs(inputs)
    write_files(build, job["files"])
    empty_stdin = os.path.join(inputs, "empty")
    open(empty_stdin, "wb").close()
    result: dict[str, Any] = {"compile": None, "tests": []}
    deadline = time.monotonic() + limits["total_time_s"]

    if job.get("compile"):
        step = job["compile"]
        result["compile"] = run_process(step["argv"], build, empty_stdin, limits, step["time_s"])
        compiled = result["compile"]
        if compiled["exit_code"] != 0 or compiled["timed_out"]:
            return result

    for test in job["tests"]:
        if time.monotonic() >= deadline:
            result["tests"].append({"id": test["id"], "skipped": "total time limit reached"})
            continue
        fresh_dir(run, build)
        write_files(run, test.get("files", {}))
        stdin_path = os.path.join(inputs, "stdin")
        with open(stdin_path, "wb") as handle:
            handle.write(base64.b64decode(test.get("stdin", "")))
        time_s = min(test["time_s"], max(deadline - time.monotonic(), 0.05))
        outcome = run_process(test["argv"], run, stdin_path, limits, time_s, test.get("env"))
        outcome["id"] = test["id"]
        if test.get("read_back"):
            outcome["read_back"] = read_back(run, test["read_back"], limits["output_bytes"] * 4)
        result["tests"].append(outcome)
    return result


def main() -> int:
    make_undumpable()
    try:
        job = read_job()
        result = run_job(job)
    except Exception as exc:  # the worker turns this into a sandbox error
        result = {"runner_error": f"{type(exc).__name__}: {exc}"}
    kill_all_mine()
    reap()
    leftovers = remove_my_files()
    processes = my_other_processes()
    result["clean"] = not leftovers and not processes and my_ipc_objects() == 0
    payload = json.dumps(result).encode()
    os.write(1, str(len(payload)).encode() + b"\n")
    view = memoryview(payload)
    while view:
        view = view[os.write(1, view):]
    return 0


if __name__ == "__main__":
    sys.exit(main())
