"""C tests start through the spawn helper, not the fork server: the same guarantees, checked.

A compiled program is posix_spawned from the runner through a static helper that sets the
limits and ids before its exec, and the runner's cleanup skips its searches when cheap
exact evidence shows a step left nothing (no process started after the step's own, nothing
new in the writable places but the step's directory, no IPC object at all). Each program
below leaves one kind of thing behind that one of those checks has to notice.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from grader.results import RunStatus, TestStatus
from grader.sandbox.docker import DockerSandbox
from tests.grader.helpers import exercise, run_c


def _spec(tests: list[dict[str, Any]], **limits: Any) -> dict[str, Any]:
    return {"language": "c", "entrypoint": "solution.c",
            "limits": {"time_s": 2, "memory_mb": 128, "total_time_s": 60, **limits},
            "tests": tests}


PROCESS = textwrap.dedent(r"""
    #define _GNU_SOURCE
    #include <fcntl.h>
    #include <stdio.h>
    #include <string.h>
    #include <sys/resource.h>
    #include <sys/stat.h>
    #include <unistd.h>
    static void status(const char *key) {
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");
        while (fgets(line, sizeof line, f))
            if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':')
                printf("%s=%lld ", key, strtoll(line + strlen(key) + 1, NULL, 16));
        fclose(f);
    }
    int main(void) {
        printf("root=%d groups=%d gid=%d ", getuid() == 0 || geteuid() == 0,
               getgroups(0, NULL), getgid() == getuid());
        status("CapEff"); status("CapPrm"); status("CapAmb"); status("SigIgn");
        status("SigBlk"); status("NoNewPrivs");
        printf("fds=");
        for (int fd = 0; fd < 1024; fd++)
            if (fcntl(fd, F_GETFD) != -1) printf("%d,", fd);
        char link[64] = "";
        readlink("/proc/self/fd/0", link, sizeof link - 1);
        printf(" memfd=%d session=%d ", strncmp(link, "/memfd:stdin", 12) == 0,
               getsid(0) == getpid());
        int resources[] = {RLIMIT_CPU, RLIMIT_AS, RLIMIT_NPROC, RLIMIT_FSIZE, RLIMIT_NOFILE,
                           RLIMIT_CORE};
        for (int i = 0; i < 6; i++) {
            struct rlimit r;
            getrlimit(resources[i], &r);
            printf("%llu/%llu ", (unsigned long long) r.rlim_cur, (unsigned long long) r.rlim_max);
        }
        struct rlimit more = {RLIM_INFINITY, RLIM_INFINITY};
        printf("raise=%d ", setrlimit(RLIMIT_AS, &more) == 0);
        FILE *oom = fopen("/proc/self/oom_score_adj", "r");
        int adj = 0;
        fscanf(oom, "%d", &adj);
        struct stat cwd;
        stat(".", &cwd);
        printf("oom=%d cwd=%o,%d setuid=%d\n", adj, cwd.st_mode & 0777, cwd.st_uid == getuid(),
               setuid(0) == 0);
        return 0;
    }
""")


def test_a_c_test_is_its_own_unprivileged_limited_process(sandbox: DockerSandbox) -> None:
    expected = ("root=0 groups=0 gid=1 CapEff=0 CapPrm=0 CapAmb=0 SigIgn=0 SigBlk=0 "
                "NoNewPrivs=1 fds=0,1,2, memfd=1 session=1 3/4 134217728/134217728 16/16 "
                "1048576/1048576 64/64 0/0 raise=0 oom=1000 cwd=700,1 setuid=0\n")
    tests = [{"name": "self", "stdin": "1 2\n", "expected_stdout": expected}]
    result = run_c(sandbox, PROCESS, exercise(_spec(tests, processes=16, file_size_kb=1024)))
    assert result.status is RunStatus.PASSED, result.tests


LEAVE_AND_LOOK = textwrap.dedent(r"""
    #define _GNU_SOURCE
    #include <dirent.h>
    #include <fcntl.h>
    #include <mqueue.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/ipc.h>
    #include <sys/msg.h>
    #include <sys/sem.h>
    #include <sys/shm.h>
    #include <sys/stat.h>
    #include <unistd.h>
    static int leaks_in(const char *dir, int depth) {  /* any name starting "leak" */
        DIR *d = opendir(dir);
        struct dirent *e;
        int found = 0;
        while (d && (e = readdir(d))) {
            char path[512];
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            found |= strncmp(e->d_name, "leak", 4) == 0 || (depth && leaks_in(path, depth - 1));
        }
        if (d) closedir(d);
        return found;
    }
    static int lines(const char *path) {
        FILE *f = fopen(path, "r");
        int n = 0, c;
        while (f && (c = fgetc(f)) != EOF) n += c == '\n';
        if (f) fclose(f);
        return n;
    }
    static int sleeper(void) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        int found = 0;
        while ((e = readdir(d))) {
            char path[300], cmd[64] = "";
            snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
            FILE *f = fopen(path, "r");
            if (!f) continue;
            found |= fgets(cmd, sizeof cmd, f) && strcmp(cmd, "leak-sleeper") == 0;
            fclose(f);
        }
        closedir(d);
        return found;
    }
    int main(int argc, char **argv) {
        const char *kind = argv[1];
        int seen = 0;
        if (leaks_in("/tmp", 2) || leaks_in("/work", 2) || leaks_in("/dev/mqueue", 0))
            seen = printf("files ");
        if (sleeper()) seen = printf("process ");
        if (lines("/proc/sysvipc/shm") + lines("/proc/sysvipc/msg") + lines("/proc/sysvipc/sem") > 3)
            seen = printf("ipc ");
        printf(seen ? "\n" : "clean\n");
        fflush(stdout);
        if (!strcmp(kind, "process") && fork() == 0) {
            setsid();
            close(1);
            close(2);
            execl("/bin/sleep", "leak-sleeper", "60", (char *) NULL);
        } else if (!strcmp(kind, "tmp-file")) {
            close(creat("/tmp/leak-file", 0666));
        } else if (!strcmp(kind, "work-file")) {
            close(creat("/work/leak-top", 0666));
        } else if (!strcmp(kind, "moved-workdir")) {  /* its own directory, moved out of sight */
            char cwd[256];
            getcwd(cwd, sizeof cwd);
            close(creat("leak-inside", 0666));
            chmod(".", 0777);
            rename(cwd, "/work/leak-moved");
            mkdir(cwd, 0700);
        } else if (!strcmp(kind, "nested-dir")) {  /* under a directory of its own in /tmp */
            mkdir("/tmp/x", 0777);
            mkdir("/tmp/x/y", 0777);
            close(creat("/tmp/x/y/leak-deep", 0666));
        } else if (!strcmp(kind, "mqueue")) {
            mq_open("/leak-queue", O_CREAT | O_RDWR, 0666, NULL);
        } else if (!strcmp(kind, "shm")) {
            shmget(0x4C45414B, 4096, IPC_CREAT | 0666);
        } else if (!strcmp(kind, "msg")) {
            msgget(0x4C45414C, IPC_CREAT | 0666);
        } else if (!strcmp(kind, "sem")) {
            semget(0x4C45414D, 1, IPC_CREAT | 0666);
        }
        return 0;
    }
""")

KINDS = ["process", "tmp-file", "work-file", "moved-workdir", "nested-dir", "mqueue", "shm",
         "msg", "sem", "nothing"]


@pytest.mark.parametrize("kind", KINDS)
def test_what_a_c_test_leaves_is_gone_before_the_next(sandbox: DockerSandbox, kind: str) -> None:
    tests = [{"name": f"t{i}", "args": [kind], "expected_stdout": "clean\n"} for i in range(3)]
    ex = exercise(_spec(tests))
    result = run_c(sandbox, LEAVE_AND_LOOK, ex)
    assert [t.status for t in result.tests] == [TestStatus.PASSED] * 3, result.tests
    [container] = [name for name in sandbox.containers() if "-c-" in name]
    # Removed and verified gone: the runner reported the run clean, so the container stays.
    again = run_c(sandbox, LEAVE_AND_LOOK, ex)
    assert again.status is RunStatus.PASSED, again.tests
    assert container in sandbox.containers()


def test_a_c_test_that_sleeps_past_its_time_is_stopped(sandbox: DockerSandbox) -> None:
    code = "#include <unistd.h>\nint main(void) { sleep(60); return 0; }\n"
    tests = [{"name": "slow", "expected_stdout": "", "time_s": 0.5},
             {"name": "then", "args": ["nothing"], "expected_stdout": "clean\n"}]
    slow = run_c(sandbox, code, exercise(_spec(tests[:1])))
    assert slow.tests[0].status is TestStatus.TIMEOUT, slow.tests
    assert (slow.tests[0].time_s or 0) < 2
    after = run_c(sandbox, LEAVE_AND_LOOK, exercise(_spec(tests[1:])))
    assert after.status is RunStatus.PASSED, after.tests


def test_a_program_that_cannot_start_is_a_runtime_error(sandbox: DockerSandbox) -> None:
    # The test's files replace the compiled program with text: exec refuses it.
    code = textwrap.dedent("""
        #include <stdio.h>
        #include <unistd.h>
        int main(void) { puts("ran"); return 0; }
    """)
    tests = [{"name": "runs", "expected_stdout": "ran\n",
              "files": {"prog": "not-an-executable.txt"}}]
    result = run_c(sandbox, code, exercise(_spec(tests),
                                           **{"not-an-executable.txt": b"plain text\n"}))
    test = result.tests[0]
    assert test.status is TestStatus.RUNTIME_ERROR, test
    assert "cannot start ./prog" in (test.stderr or ""), test


LINKER = textwrap.dedent(r"""
    #define _GNU_SOURCE
    #include <stdio.h>
    #include <string.h>
    int main(void) {
        /* gold's own section, named at run time: the literal would be in the image too. */
        static char image[1 << 20], name[] = "/onud/fot/fnme,wdsrhno";
        for (char *c = name; *c; c++)
            *c ^= 1;
        FILE *f = fopen("/proc/self/exe", "rb");
        size_t n = fread(image, 1, sizeof image, f);
        puts(memmem(image, n, name, strlen(name)) ? "gold" : "bfd");
        return 0;
    }
""")


@pytest.mark.parametrize(("link_flags", "linker"), [(None, "gold"), (["-fuse-ld=bfd"], "bfd")])
def test_gold_links_unless_the_exercise_says_otherwise(sandbox: DockerSandbox,
                                                       link_flags: list[str] | None,
                                                       linker: str) -> None:
    # gold is the grader's choice (GCC_DRIVER_OPTIONS: faster than ld.bfd); an exercise's own
    # link flags come after it, so a teacher who needs ld.bfd still gets it.
    spec = _spec([{"name": "linker", "expected_stdout": f"{linker}\n"}])
    if link_flags is not None:
        spec["link_flags"] = link_flags
    result = run_c(sandbox, LINKER, exercise(spec))
    assert result.status is RunStatus.PASSED, result.tests
