"""Hostile code in C++, JavaScript and Java, run in the real sandbox.

The same attacks as test_sandbox_attacks.py (fork and thread bombs, memory bombs, endless
loops, output floods, the network) in each new language: each ends with the right status,
and afterwards the same sandbox grades an honest submission of that language correctly, in
no more containers than one per language.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from grader.results import GradingResult, RunStatus, TestStatus
from grader.sandbox.docker import DockerSandbox
from tests.grader.languages import ADDER, adder_exercise, one_test_in, run_in

LANGUAGES = ["cpp", "javascript", "java"]

FORK_BOMB = {
    "cpp": "#include <unistd.h>\nint main() { for (;;) fork(); }\n",
    "javascript": textwrap.dedent("""
        const { spawn } = require("child_process");
        for (;;) {
            try { spawn(process.execPath, [__filename]).on("error", () => {}); } catch (e) {}
        }
    """),
    "java": textwrap.dedent("""
        public class Main {
            public static void main(String[] args) {
                for (;;) {
                    try { new ProcessBuilder("java", "-cp", ".", "Main").start(); }
                    catch (Throwable e) { }
                }
            }
        }
    """),
}
THREAD_BOMB = {
    "cpp": textwrap.dedent("""
        #include <chrono>
        #include <thread>
        int main() {
            for (;;) {
                try {
                    std::thread([] { std::this_thread::sleep_for(std::chrono::hours(1)); }).detach();
                } catch (...) {}
            }
        }
    """),
    "javascript": textwrap.dedent("""
        const { Worker } = require("worker_threads");
        for (;;) {
            try { new Worker("setInterval(() => {}, 1000)", { eval: true }); } catch (e) {}
        }
    """),
    "java": textwrap.dedent("""
        public class Main {
            public static void main(String[] args) {
                for (;;) {
                    try {
                        new Thread(() -> {
                            try { Thread.sleep(3_600_000); } catch (InterruptedException e) { }
                        }).start();
                    } catch (Throwable e) { }
                }
            }
        }
    """),
}
MEMORY_BOMB = {
    "cpp": textwrap.dedent("""
        #include <vector>
        int main() {
            std::vector<std::vector<char>> blocks;
            for (;;) blocks.emplace_back(1 << 20, 'x');
        }
    """),
    "javascript": "const blocks = [];\nfor (;;) blocks.push(new Array(1e6).fill(1.5));\n",
    "java": textwrap.dedent("""
        import java.util.*;
        public class Main {
            public static void main(String[] args) {
                List<long[]> blocks = new ArrayList<>();
                for (;;) blocks.add(new long[1 << 17]);
            }
        }
    """),
}
# Memory outside the language's heap: malloc'd, Buffers, direct ByteBuffers.
NATIVE_MEMORY_BOMB = {
    "cpp": "#include <cstdlib>\n#include <cstring>\n"
           "int main() { for (;;) { char *p = (char *) malloc(1 << 20); if (!p) abort();"
           " memset(p, 1, 1 << 20); } }\n",
    "javascript": "const blocks = [];\nfor (;;) blocks.push(Buffer.alloc(1 << 24, 1));\n",
    "java": textwrap.dedent("""
        import java.nio.ByteBuffer;
        import java.util.*;
        public class Main {
            public static void main(String[] args) {
                List<ByteBuffer> blocks = new ArrayList<>();
                for (;;) blocks.add(ByteBuffer.allocateDirect(1 << 20));
            }
        }
    """),
}
ENDLESS = {
    "cpp": "int main() { volatile unsigned long n = 0; for (;;) n++; }\n",
    "javascript": "let n = 0;\nfor (;;) n++;\n",
    "java": "public class Main { public static void main(String[] a) { long n = 0;"
            " for (;;) n++; } }\n",
}
FLOOD = {
    "cpp": '#include <iostream>\n#include <string>\nint main() { std::string s(65536, \'x\');'
           " for (;;) std::cout << s; }\n",
    "javascript": 'const s = "x".repeat(65536);\nfor (;;) process.stdout.write(s);\n',
    "java": 'public class Main { public static void main(String[] a) { String s = "x".repeat'
            "(65536); for (;;) System.out.print(s); } }\n",
}
# 192.0.2.1 is TEST-NET-1 (documentation range): with --network none nothing leaves.
NETWORK = {
    "cpp": textwrap.dedent("""
        #include <arpa/inet.h>
        #include <cstdio>
        #include <sys/socket.h>
        #include <unistd.h>
        int main() {
            const char *hosts[] = {"127.0.0.1", "127.0.0.1", "192.0.2.1"};
            int ports[] = {6379, 5432, 80};
            for (int i = 0; i < 3; i++) {
                int s = socket(AF_INET, SOCK_STREAM, 0);
                sockaddr_in to{};
                to.sin_family = AF_INET;
                to.sin_port = htons(ports[i]);
                inet_pton(AF_INET, hosts[i], &to.sin_addr);
                printf(connect(s, (sockaddr *) &to, sizeof to) == 0 ? "open " : "closed ");
                close(s);
            }
            printf("\\n");
        }
    """),
    "javascript": textwrap.dedent("""
        const net = require("net");
        const tries = [["127.0.0.1", 6379], ["127.0.0.1", 5432], ["192.0.2.1", 80]];
        Promise.all(tries.map(([host, port]) => new Promise(done => {
            const s = net.connect({ host, port, timeout: 1000 });
            s.on("connect", () => { s.destroy(); done("open"); });
            s.on("timeout", () => { s.destroy(); done("closed"); });
            s.on("error", () => done("closed"));
        }))).then(r => console.log(r.join(" ") + " "));
    """),
    "java": textwrap.dedent("""
        import java.net.*;
        public class Main {
            public static void main(String[] args) {
                String[][] tries = {{"127.0.0.1", "6379"}, {"127.0.0.1", "5432"}, {"192.0.2.1", "80"}};
                StringBuilder out = new StringBuilder();
                for (String[] t : tries) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(t[0], Integer.parseInt(t[1])), 1000);
                        out.append("open ");
                    } catch (Exception e) { out.append("closed "); }
                }
                System.out.println(out);
            }
        }
    """),
}


def status_of(result: GradingResult) -> TestStatus:
    assert len(result.tests) == 1
    return result.tests[0].status


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest, sandbox: DockerSandbox) -> Iterator[str]:
    """Each new language; after the attack, an honest submission of it is graded right."""
    name: str = request.param
    yield name
    honest = run_in(sandbox, name, ADDER[name], adder_exercise(name))
    assert honest.status is RunStatus.PASSED, honest
    assert sum(f"-{name}-" in c for c in sandbox.containers()) <= 1


def test_fork_bomb_is_held(sandbox: DockerSandbox, language: str) -> None:
    result = run_in(sandbox, language, FORK_BOMB[language], one_test_in(language, time_s=3))
    assert status_of(result) in (TestStatus.TIMEOUT, TestStatus.RUNTIME_ERROR, TestStatus.MEMORY)


def test_thread_bomb_is_held(sandbox: DockerSandbox, language: str) -> None:
    result = run_in(sandbox, language, THREAD_BOMB[language], one_test_in(language, time_s=3))
    assert status_of(result) in (TestStatus.TIMEOUT, TestStatus.RUNTIME_ERROR, TestStatus.MEMORY)


def test_memory_bomb_reports_memory(sandbox: DockerSandbox, language: str) -> None:
    # Time enough to reach the limit on a busy machine (a heap near full collects slowly).
    result = run_in(sandbox, language, MEMORY_BOMB[language], one_test_in(language, time_s=10))
    assert status_of(result) is TestStatus.MEMORY, result.tests[0]


def test_memory_outside_the_heap_is_held(sandbox: DockerSandbox, language: str) -> None:
    # Time enough to reach the limit on a busy machine (a heap near full collects slowly).
    result = run_in(sandbox, language, NATIVE_MEMORY_BOMB[language], one_test_in(language, time_s=10))
    assert status_of(result) is TestStatus.MEMORY, result.tests[0]


def test_endless_loop_times_out(sandbox: DockerSandbox, language: str) -> None:
    result = run_in(sandbox, language, ENDLESS[language], one_test_in(language, time_s=1))
    assert status_of(result) is TestStatus.TIMEOUT
    assert (result.tests[0].time_s or 0) < 3


def test_output_flood_is_cut(sandbox: DockerSandbox, language: str) -> None:
    result = run_in(sandbox, language, FLOOD[language], one_test_in(language, output_kb=64))
    # Node queues what a full pipe does not take in its own heap: on a busy machine the heap
    # can fill before the runner has read past the cap. Stopped either way.
    stopped = {TestStatus.OUTPUT_LIMIT, TestStatus.MEMORY} if language == "javascript" \
        else {TestStatus.OUTPUT_LIMIT}
    assert status_of(result) in stopped, result.tests[0]
    assert len(result.tests[0].actual or "") < 2000


def test_no_network(sandbox: DockerSandbox, language: str) -> None:
    result = run_in(sandbox, language, NETWORK[language],
                    one_test_in(language, expected="closed closed closed \n"))
    assert status_of(result) is TestStatus.PASSED, result.tests[0]
