"""Isolation between the tests of one submission, and of student code from the fork server.

Every test is a process forked from a warm interpreter that holds nothing of any job. These
programs try to see what an earlier test left, what a later (hidden) test will get, and what
the runner and the fork server hold; each prints what it found, and a test fails when it
found anything.
"""

from __future__ import annotations

import textwrap
from typing import Any

from grader.config import GraderSettings
from grader.results import RunStatus, TestStatus
from grader.sandbox.containers import UIDS_PER_SANDBOX
from grader.sandbox.docker import DockerSandbox
from tests.grader.helpers import exercise, run_py

# Marker values the hidden tests carry; the programs below only know the pattern SECRET\d{6}.
SECRETS = ("SECRET314159", "SECRET271828", "SECRET161803", "SECRET141421", "SECRET577215")


def _spec(tests: list[dict[str, Any]], **limits: Any) -> dict[str, Any]:
    return {"language": "python", "entrypoint": "solution.py",
            "limits": {"time_s": 5, "memory_mb": 256, "total_time_s": 60, **limits},
            "tests": tests}


LEAVE_AND_LOOK = textwrap.dedent("""
    import builtins, ctypes, glob, math, os, sys
    seen = []
    if hasattr(math, "leak") or hasattr(builtins, "leak") or "leakmod" in sys.modules:
        seen.append("module state")
    if os.environ.get("LEAK") or os.getenv("LEAK_PUT"):
        seen.append("environment")
    if glob.glob("/tmp/leak*") or glob.glob("/work/**/leak*", recursive=True) or glob.glob("leak*"):
        seen.append("files")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if open(f"/proc/{pid}/cmdline", "rb").read().startswith(b"leak-sleeper"):
                seen.append("process")
        except OSError:
            pass
    if len(open("/proc/sysvipc/shm").read().splitlines()) > 1:
        seen.append("ipc")
    print(" ".join(seen) or "clean")
    sys.stdout.flush()
    # Now leave everything behind for the next test.
    math.leak = builtins.leak = True
    sys.modules["leakmod"] = math
    os.environ["LEAK"] = "1"
    os.putenv("LEAK_PUT", "1")
    for path in ("/tmp/leak-file", "leak-here", "/work/leak-top"):
        try:
            with open(path, "w") as handle:
                handle.write("x")
            os.chmod(path, 0o666)
        except OSError:
            pass
    os.chmod(".", 0o777)
    libc = ctypes.CDLL(None)
    libc.shmget(0x4C45414B, 4096, 0o1666)
    if os.fork() == 0:
        os.setsid()
        os.execv("/bin/sleep", ["leak-sleeper", "60"])
""")


def test_nothing_a_test_leaves_is_seen_by_the_next(sandbox: DockerSandbox) -> None:
    tests = [{"name": f"t{i}", "stdin": "", "expected_stdout": "clean\n"} for i in range(3)]
    result = run_py(sandbox, LEAVE_AND_LOOK, exercise(_spec(tests)))
    assert [t.status for t in result.tests] == [TestStatus.PASSED] * 3, result.tests
    # And nothing of it reaches the next submission in the same container either.
    again = run_py(sandbox, LEAVE_AND_LOOK, exercise(_spec(tests[:1])))
    assert again.status is RunStatus.PASSED, again.tests


SCAN = textwrap.dedent(r"""
    import gc, os, re, sys
    data = sys.stdin.read()
    if "SECRET" in data:
        print("hidden test")
        raise SystemExit
    pattern = re.compile(rb"SECRET[0-9]{6}")
    found = set()
    if hasattr(gc, "unfreeze"):
        gc.unfreeze()
    for obj in gc.get_objects():
        for ref in gc.get_referents(obj):
            if isinstance(ref, str):
                ref = ref.encode("utf-8", "replace")
            if isinstance(ref, (bytes, bytearray)):
                found.update(m.decode() for m in pattern.findall(ref))
    # The raw bytes of this process: a copy of the fork server, freed memory included.
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
        for line in maps:
            span, perms = line.split()[:2]
            if "r" not in perms or line.rstrip().endswith(("[vvar]", "[vsyscall]")):
                continue
            start, end = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(start)
                found.update(m.decode() for m in pattern.findall(mem.read(end - start)))
            except (OSError, OverflowError, ValueError):
                pass
    for name in os.listdir("."):
        found.update(m.decode() for m in pattern.findall(name.encode()))
    print(sorted(found))
""")


def test_a_gc_walk_or_memory_scan_finds_no_other_test(sandbox: DockerSandbox) -> None:
    hidden = {"stdin": f"{SECRETS[0]}\n", "args": [SECRETS[1]],
              "files": {f"{SECRETS[2]}.txt": "secret.txt"}, "expected_stdout": "hidden test\n",
              "visibility": "hidden"}
    tests = [
        {"name": f"{SECRETS[4]} before", **hidden},
        {"name": "visible", "stdin": "x\n", "expected_stdout": "[]\n"},
        {"name": f"{SECRETS[4]} after", **hidden},
    ]
    ex = exercise(_spec(tests), **{"secret.txt": f"{SECRETS[3]}\n".encode()})
    result = run_py(sandbox, SCAN, ex)
    visible = result.tests[1]
    assert visible.status is TestStatus.PASSED, visible
    assert result.status is RunStatus.PASSED, result.tests


def test_a_test_holds_only_its_own_descriptors(sandbox: DockerSandbox) -> None:
    code = textwrap.dedent("""
        import os
        open_fds = []
        for fd in range(1024):
            try:
                os.fstat(fd)
                open_fds.append(fd)
            except OSError:
                pass
        written = []
        for fd in range(3, 1024):
            try:
                os.write(fd, b"5\\n")
                written.append(fd)
            except OSError:
                pass
        print(open_fds, written, os.readlink("/proc/self/fd/0").startswith("/memfd:stdin"))
    """)
    tests = [{"name": "fds", "stdin": "1 2\n", "expected_stdout": "[0, 1, 2] [] True\n"}]
    result = run_py(sandbox, code, exercise(_spec(tests)))
    assert result.status is RunStatus.PASSED, result.tests


def test_the_fork_server_and_runner_cannot_be_read_or_traced(sandbox: DockerSandbox) -> None:
    code = textwrap.dedent("""
        import ctypes, os
        PTRACE_ATTACH = 16
        libc = ctypes.CDLL(None, use_errno=True)
        targets = {os.getppid()}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if int(pid) != os.getpid() and b"/opt/grader/" in open(
                        f"/proc/{pid}/cmdline", "rb").read():
                    targets.add(int(pid))
            except OSError:
                pass
        verdicts = []
        for pid in sorted(targets):
            for leaf in ("mem", "environ", "maps", "fd", "stack", "syscall"):
                try:
                    path = f"/proc/{pid}/{leaf}"
                    os.listdir(path) if leaf == "fd" else open(path, "rb").read(1)
                    verdicts.append(f"{leaf} readable")
                except OSError:
                    pass
            if libc.ptrace(PTRACE_ATTACH, pid, 0, 0) == 0:
                verdicts.append("traced")
        print(len(targets) >= 2, verdicts)
    """)
    tests = [{"name": "peek", "stdin": "", "expected_stdout": "True []\n"}]
    result = run_py(sandbox, code, exercise(_spec(tests)))
    assert result.status is RunStatus.PASSED, result.tests


def test_every_test_runs_under_a_uid_of_its_own(sandbox: DockerSandbox) -> None:
    code = "import os\nprint(os.getuid(), os.getcwd())\n"
    # A wrong expectation, so that the result shows what each test printed.
    tests = [{"name": f"t{i}", "stdin": "", "expected_stdout": "shown\n"} for i in range(3)]
    result = run_py(sandbox, code, exercise(_spec(tests)))
    seen = [(t.actual or "").split() for t in result.tests]
    uids = {int(uid) for uid, _ in seen}
    assert len(uids) == 3 and 0 not in uids, seen
    assert len({cwd for _, cwd in seen}) == 3, seen


def test_each_container_steps_through_uids_of_its_own(sandbox: DockerSandbox) -> None:
    """RLIMIT_NPROC counts a uid's processes kernel-wide: two containers never share a uid,
    or a fork bomb in one would use up the process limit of a test in the other."""
    code = "import os\nprint(os.getuid())\n"
    tests = [{"name": f"t{i}", "stdin": "", "expected_stdout": "shown\n"} for i in range(2)]
    other = DockerSandbox(GraderSettings())
    try:
        ranges = []
        for box in (sandbox, other):
            result = run_py(box, code, exercise(_spec(tests)))
            uids = {int(t.actual or "0") for t in result.tests}
            ranges.append({(uid - box.settings.uid_base) // UIDS_PER_SANDBOX for uid in uids})
        assert len(ranges[0]) == len(ranges[1]) == 1, ranges  # one range per container
        assert ranges[0] != ranges[1], ranges
    finally:
        other.close()


def test_the_program_runs_as_a_fresh_python_would(sandbox: DockerSandbox) -> None:
    code = textwrap.dedent("""
        import atexit, os, sys, threading, time
        atexit.register(lambda: print("atexit ran"))
        print(__name__, os.path.basename(__file__), sys.argv[1:], sys.path[0] == os.getcwd(),
              os.environ["HOME"] == os.getcwd(), "PYTHONHASHSEED" in os.environ)
        threading.Thread(target=lambda: (time.sleep(0.2), print("thread joined"))).start()
        sys.exit(3)
    """)
    tests = [{"name": "fresh", "args": ["a b", "c"], "expected_exit_code": 3,
              "expected_stdout": "__main__ solution.py ['a b', 'c'] True True True\n"
                                 "thread joined\natexit ran\n"}]
    result = run_py(sandbox, code, exercise(_spec(tests)))
    assert result.status is RunStatus.PASSED, result.tests


def test_an_uncaught_exception_shows_only_the_program_frames(sandbox: DockerSandbox) -> None:
    code = "def f():\n    raise ValueError('boom')\n\nf()\n"
    tests = [{"name": "tb", "stdin": "", "expected_stdout": ""}]
    result = run_py(sandbox, code, exercise(_spec(tests)))
    stderr = result.tests[0].stderr or ""
    assert result.tests[0].status is TestStatus.RUNTIME_ERROR, result.tests[0]
    assert "ValueError: boom" in stderr and 'solution.py", line 4' in stderr, stderr
    assert "forkserver" not in stderr and "warm.py" not in stderr, stderr
