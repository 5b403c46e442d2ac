"""Hostile code from ../shared/SANDBOX.md, run in the real sandbox.

Each attack must end with the right status, leave the host intact, leave nothing behind in
the container (the next submission in the same container passes), and leave no container
outliving its job.
"""

from __future__ import annotations

import os
import textwrap

import docker
import pytest

from grader.config import GraderSettings
from grader.languages import LANGUAGES
from grader.results import RunStatus, TestStatus
from grader.sandbox.docker import LABEL, DockerSandbox
from tests.grader.helpers import GOOD_PY, exercise, one_test, run_c, run_py


def status_of(result) -> TestStatus:  # type: ignore[no-untyped-def]
    assert len(result.tests) == 1
    return result.tests[0].status


@pytest.fixture
def still_works(sandbox: DockerSandbox):  # type: ignore[no-untyped-def]
    """After the attack, the same sandbox grades an honest submission correctly."""
    yield
    honest = run_py(sandbox, GOOD_PY.decode(), exercise())
    assert honest.status is RunStatus.PASSED, honest
    # One warm container per language pool at most (other test modules use the others).
    assert sum("-python-" in name for name in sandbox.containers()) <= 1
    assert len(sandbox.containers()) <= len(LANGUAGES)


def test_infinite_loop_times_out(sandbox: DockerSandbox, still_works: None) -> None:
    result = run_py(sandbox, "while True:\n    pass\n")
    assert status_of(result) is TestStatus.TIMEOUT
    assert result.tests[0].time_s is not None and result.tests[0].time_s < 4


def test_sleep_times_out_on_the_wall_clock(sandbox: DockerSandbox, still_works: None) -> None:
    result = run_py(sandbox, "import time\ntime.sleep(60)\n")
    assert status_of(result) is TestStatus.TIMEOUT


def test_python_fork_bomb_is_held(sandbox: DockerSandbox, still_works: None) -> None:
    code = textwrap.dedent("""
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """)
    result = run_py(sandbox, code)
    assert status_of(result) in (TestStatus.TIMEOUT, TestStatus.RUNTIME_ERROR)


def test_c_fork_bomb_is_held(sandbox: DockerSandbox, still_works: None) -> None:
    result = run_c(sandbox, "#include <unistd.h>\nint main(void){for(;;) fork();}\n")
    assert status_of(result) in (TestStatus.TIMEOUT, TestStatus.RUNTIME_ERROR)


def test_memory_bomb_reports_memory(sandbox: DockerSandbox, still_works: None) -> None:
    result = run_py(sandbox, "blocks = []\nwhile True:\n    blocks.append(bytearray(10**6))\n")
    assert status_of(result) is TestStatus.MEMORY


def test_c_memory_bomb_reports_memory(sandbox: DockerSandbox, still_works: None) -> None:
    code = textwrap.dedent("""
        #include <stdlib.h>
        #include <string.h>
        int main(void) {
            for (;;) { char *p = malloc(1 << 20); memset(p, 1, 1 << 20); }
        }
    """)
    result = run_c(sandbox, code)
    assert status_of(result) is TestStatus.MEMORY


@pytest.mark.parametrize("target", ["/tmp/fill", "fill"])
def test_filling_tmp_and_workdir_is_capped(sandbox: DockerSandbox, still_works: None,
                                           target: str) -> None:
    code = textwrap.dedent(f"""
        chunk = b"x" * (1 << 20)
        written = 0
        try:
            with open({target!r}, "wb") as f:
                while written < 2 * 1024 ** 3:
                    f.write(chunk)
                    written += len(chunk)
        except OSError as exc:
            print("stopped", type(exc).__name__)
    """)
    ex = one_test(expected="never", limits={"file_size_kb": 8192})
    result = run_py(sandbox, code, ex)
    # Either the file-size rlimit (SIGXFSZ) or the full tmpfs stops it; never the host disk.
    assert status_of(result) in (TestStatus.RUNTIME_ERROR, TestStatus.FAILED)


def test_dev_shm_is_closed(sandbox: DockerSandbox, still_works: None) -> None:
    code = textwrap.dedent("""
        import os
        try:
            with open("/dev/shm/x", "wb") as f:
                f.write(b"x")
            print("writable")
        except OSError:
            print("closed")
    """)
    result = run_py(sandbox, code, one_test(expected="closed\n"))
    assert status_of(result) is TestStatus.PASSED, result.tests[0]


def test_output_flood_is_cut(sandbox: DockerSandbox, still_works: None) -> None:
    code = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    result = run_py(sandbox, code, one_test(limits={"output_kb": 64}))
    assert status_of(result) is TestStatus.OUTPUT_LIMIT
    assert len(result.tests[0].actual or "") < 2000  # an excerpt, not 64 KiB


def test_no_network_to_loopback_or_outside(sandbox: DockerSandbox, still_works: None) -> None:
    code = textwrap.dedent("""
        import socket
        outcomes = []
        # 192.0.2.1 is TEST-NET-1 (documentation range): with --network none nothing leaves.
        for host, port in (("127.0.0.1", 6379), ("127.0.0.1", 5432), ("192.0.2.1", 80)):
            s = socket.socket()
            s.settimeout(1)
            try:
                s.connect((host, port))
                outcomes.append("open")
            except OSError as exc:
                outcomes.append(type(exc).__name__)
        interfaces = [l.split(":")[0].strip() for l in open("/proc/net/dev").read().splitlines()[2:]]
        print(outcomes, interfaces)
    """)
    result = run_py(sandbox, code, one_test(expected="shown only on failure"))
    actual = result.tests[0].actual or ""
    assert "open" not in actual
    assert "['lo']" in actual


def test_runner_and_init_environment_unreadable(sandbox: DockerSandbox, still_works: None) -> None:
    code = textwrap.dedent("""
        import os
        verdicts = []
        for pid in (1, os.getppid()):
            for leaf in ("environ", "mem", "fd/1"):
                try:
                    with open(f"/proc/{pid}/{leaf}", "rb") as f:
                        f.read(1)
                    verdicts.append("readable")
                except OSError:
                    verdicts.append("denied")
        print(" ".join(verdicts))
    """)
    result = run_py(sandbox, code, one_test(expected="denied " * 5 + "denied\n"))
    assert status_of(result) is TestStatus.PASSED, result.tests[0]


def test_forging_a_result_through_proc_fd_fails(sandbox: DockerSandbox, still_works: None) -> None:
    forged = '{"tests": [{"id": "0", "exit_code": 0, "stdout": "NQo="}], "clean": true}'
    code = textwrap.dedent(f"""
        import os
        for pid in (1, os.getppid()):
            try:
                with open(f"/proc/{{pid}}/fd/1", "w") as f:
                    f.write({len(forged)!r} and "{len(forged)}\\n" + {forged!r})
            except OSError:
                pass
    """)
    result = run_py(sandbox, code, exercise())
    assert result.score == 0
    assert all(t.status is TestStatus.FAILED for t in result.tests)


def test_setsid_escapees_do_not_survive(sandbox: DockerSandbox, still_works: None) -> None:
    code = textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(300)
            os._exit(0)
        print("parent done")
    """)
    result = run_py(sandbox, code, one_test(expected="parent done\n"))
    assert status_of(result) is TestStatus.PASSED
    client = docker.from_env()
    for name in sandbox.containers():
        top = client.api.top(name, ps_args="-eo uid,pid,comm")
        uids = {int(row[0]) for row in top["Processes"]}
        # Between submissions only init, the idle process, the runner and its fork server
        # are alive, all root: nothing of any step's uid.
        assert uids == {0}, top["Processes"]


def test_symlink_planted_at_the_report_path_is_not_followed(sandbox: DockerSandbox,
                                                            still_works: None) -> None:
    tests_py = b"import solution\n\ndef test_one():\n    assert True\n"
    spec = {"language": "python", "entrypoint": "solution.py", "unittest": "test_solution.py",
            "limits": {"total_time_s": 20}}
    ex = exercise(spec, **{"test_solution.py": tests_py})
    code = textwrap.dedent("""
        import os
        try:
            os.remove(".grader-report.jsonl")
        except OSError:
            pass
        os.symlink("/etc/passwd", ".grader-report.jsonl")
    """)
    from grader.grading import grade

    result = grade(ex, {"solution.py": code.encode()}, sandbox)
    assert result.score == 0
    assert "root:" not in result.model_dump_json()


def test_hostile_output_bytes_are_made_safe(sandbox: DockerSandbox, still_works: None) -> None:
    code = ("import sys\nsys.stdout.buffer.write(b'\\x00\\x1b[2J\\x1b]0;pwn\\x07\\xff\\xfe ok"
            "\\r\\n\\x9b31m')\n")
    result = run_py(sandbox, code, one_test(expected="fine\n"))
    actual = result.tests[0].actual or ""
    assert "ok" in actual
    for bad in ("\x00", "\x1b", "\x07", "\x9b"):
        assert bad not in actual
    assert "\ufffd" in actual  # invalid UTF-8 replaced, not dropped silently


def test_signalling_the_runner_or_fork_server_is_refused(sandbox: DockerSandbox,
                                                        still_works: None) -> None:
    # The runner and the fork server are root: no student uid may signal them.
    code = textwrap.dedent("""
        import os, signal
        targets = {os.getppid(), 1}
        for pid in os.listdir("/proc"):
            try:
                mine = int(pid) == os.getpid() if pid.isdigit() else True
                if not mine and b"/opt/grader/" in open(f"/proc/{pid}/cmdline", "rb").read():
                    targets.add(int(pid))
            except OSError:
                pass
        verdicts = set()
        for pid in sorted(targets):
            for sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                    verdicts.add("delivered")
                except PermissionError:
                    verdicts.add("refused")
        a, b = map(int, input().split())
        print(a + b if verdicts == {"refused"} and len(targets) >= 3 else verdicts)
    """)
    result = run_py(sandbox, code, exercise())
    assert result.status is RunStatus.PASSED, result.tests


def _stop_the_runner(client: docker.DockerClient, container: str) -> None:
    """SIGSTOP the runner from outside: what a hung runner looks like to the worker."""
    script = ("import os, signal\n"
              "for p in os.listdir('/proc'):\n"
              "    if p.isdigit() and int(p) != os.getpid() and \\\n"
              "            b'runner.py' in open(f'/proc/{p}/cmdline', 'rb').read():\n"
              "        os.kill(int(p), signal.SIGSTOP)\n")
    exec_id = client.api.exec_create(container, ["python3", "-c", script], user="0:0")["Id"]
    client.api.exec_start(exec_id)
    assert client.api.exec_inspect(exec_id)["ExitCode"] == 0


def test_hung_run_is_removed_by_name_on_the_host_wall_clock() -> None:
    box = DockerSandbox(GraderSettings(host_margin_s=1))
    try:
        ex = one_test(limits={"total_time_s": 2})
        run_py(box, GOOD_PY.decode(), exercise())  # warm the box's container
        [hung] = box.containers()
        client = docker.from_env()
        # A stopped runner defeats every in-sandbox timer; only the host clock is left.
        _stop_the_runner(client, hung)
        result = run_py(box, GOOD_PY.decode(), ex)
        assert status_of(result) is TestStatus.TIMEOUT
        assert "total time" in result.message
        running = {c.name for c in client.containers.list(all=True,
                                                           filters={"label": f"{LABEL}=1"})}
        assert hung not in running, "the hung container must be gone"
        assert run_py(box, GOOD_PY.decode(), exercise()).status is RunStatus.PASSED
    finally:
        box.close()
    assert box.containers() == []


def test_container_is_hardened(sandbox: DockerSandbox) -> None:
    run_py(sandbox, GOOD_PY.decode(), exercise())
    client = docker.from_env()
    [name] = [n for n in sandbox.containers() if "-python-" in n]
    host = client.api.inspect_container(name)["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert sorted(host["CapAdd"]) == ["SETGID", "SETUID"]  # the runner's, never a student's
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["IpcMode"] == "none"
    assert host["PidsLimit"] > 0 and host["Memory"] > 0 and host["NanoCpus"] > 0
    assert host["Memory"] == host["MemorySwap"]  # no swap
    assert "exec" in host["Tmpfs"]["/tmp"] and "size=" in host["Tmpfs"]["/tmp"]
    config = client.api.inspect_container(name)["Config"]
    assert os.environ.get("BRIDGE_API_KEY", "") not in " ".join(config["Env"] or [])


def test_student_code_has_no_privilege(sandbox: DockerSandbox, still_works: None) -> None:
    code = textwrap.dedent("""
        import os
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(os.getuid() != 0, os.geteuid() != 0, os.getgroups(),
              int(status["CapEff"], 16), int(status["CapPrm"], 16), int(status["CapAmb"], 16),
              status["NoNewPrivs"].strip())
    """)
    result = run_py(sandbox, code, one_test(expected="True True [] 0 0 0 1\n"))
    assert status_of(result) is TestStatus.PASSED, result.tests[0]
