"""Language profiles: what a language needs from its image and how to compile and run it.

Adding a language is a new profile here plus the Debian packages its image needs. Each
profile carries its own limit defaults (an exercise's `limits:` overrides any of them) and
says how memory is held: by RLIMIT_AS (C, C++, Python: the address space is the memory;
node: its heap flag, and RLIMIT_AS a margin above it), or, for the JVM, which reserves far
more address space than it ever touches, by the heap flags plus the container's memory
cgroup (see `jvm_flags`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

RUNNER = ["/usr/bin/python3", "-S", "-E", "/opt/grader/runner.py"]
JUNIT_JAR = "/usr/share/java/junit-platform-console-standalone.jar"
JUNIT_REPORT = "TEST-junit-jupiter.xml"
# The classes a JUnit run loads, archived when the image is built (images.py): the launcher
# then starts in about half the time.
JUNIT_ARCHIVE = "/opt/grader/junit.jsa"
# How the grader drives gcc and g++, before the exercise's own flags (which may override
# them: the last -fuse-ld wins). -pipe hands the assembly to `as` through a pipe instead of
# a file; gold links a small program in 13 ms where ld.bfd takes 19 (both in binutils, the
# program it makes runs the same). Together a C submission's compile goes from 35 to 28 ms.
GCC_DRIVER_OPTIONS = ("-pipe", "-fuse-ld=gold")


def jvm_flags(heap_mb: int) -> list[str]:
    """The JVM's options for one step whose heap may grow to `heap_mb`.

    Why each: a serial collector and C1 only (one CPU, short programs: no GC or compiler
    threads to wait for, start-up in about a third of the default time); the class-data
    archive Debian ships (`-Xshare:auto`); no hsperfdata file in /tmp; metaspace, code cache
    and direct buffers capped so that heap + those stays well inside the container's cgroup;
    the JVM's own warnings on stderr, not in the program's output (where a thread bomb's
    "failed to start thread" would flood it).
    """
    return [f"-Xmx{heap_mb}m", f"-Xms{min(heap_mb, 32)}m", "-Xss8m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-Xshare:auto",
            "-XX:-UsePerfData", "-XX:MaxMetaspaceSize=128m", "-XX:ReservedCodeCacheSize=32m",
            "-XX:MaxDirectMemorySize=64m", "-Xlog:disable",
            "-Xlog:all=warning,os+thread=off:stderr"]


def java_class(path: str) -> str:
    """The class a Java file declares, in the default package: `src/Main.java` is `Main`."""
    return path.rsplit("/", 1)[-1].removesuffix(".java")


@dataclass(frozen=True)
class LanguageProfile:
    name: str
    packages: tuple[str, ...]
    suffixes: tuple[str, ...]  # its source files (what is compiled, what may be the entrypoint)
    limits: Mapping[str, float] = field(default_factory=dict)  # defaults of `Limits`
    default_compile_flags: tuple[str, ...] = ()
    default_link_flags: tuple[str, ...] = ()
    unittest: str | None = None  # the unit-test framework: "pytest" or "junit"
    # RLIMIT_AS at the step's memory plus this many MiB; None: no RLIMIT_AS (the JVM).
    address_space_extra_mb: int | None = 0
    # Lines on stderr that mean the program ran out of its memory (not of threads).
    memory_markers: tuple[bytes, ...] = ()

    @property
    def image(self) -> str:
        return f"moodle-bridge/runner-{self.name}"

    @property
    def supports_unittest(self) -> bool:
        return self.unittest is not None

    @property
    def spawn_helper(self) -> bool:
        """The image has gcc, so it builds the runner's spawn helper (images.py)."""
        return "gcc" in self.packages

    def is_source(self, name: str) -> bool:
        return name.endswith(self.suffixes)

    def compile_argv(self, entrypoint: str, sources: list[str], flags: list[str] | None,
                     link_flags: list[str] | None, memory_mb: int) -> list[str] | None:
        """The one compile step for a submission, or None when the language has none."""
        compile_flags = list(self.default_compile_flags if flags is None else flags)
        links = list(self.default_link_flags if link_flags is None else link_flags)
        if self.name == "python":
            # Byte-compiling reports a syntax error once, as a compile error, before any test.
            return ["python3", "-m", "py_compile", *sources]
        if self.name in ("c", "cpp"):
            compiler = "gcc" if self.name == "c" else "g++"
            return [compiler, *GCC_DRIVER_OPTIONS, *compile_flags, "-o", "prog", *sources,
                    *links]
        if self.name == "javascript":
            return ["node", "--check", entrypoint]  # a syntax error once, before any test
        if self.name == "java":
            heap = max(memory_mb - 96, 64)  # javac's own metaspace and code beside its heap
            classpath = f".:{JUNIT_JAR}" if self.unittest else "."
            return ["javac", *(f"-J{flag}" for flag in jvm_flags(heap)), "-encoding", "UTF-8",
                    "-cp", classpath, *compile_flags, "-d", ".", *sources]
        raise AssertionError(self.name)

    def run_argv(self, entrypoint: str, args: list[str], memory_mb: int) -> list[str]:
        """The command line of one I/O test."""
        if self.name == "python":
            return ["python3", "-E", "-s", entrypoint, *args]
        if self.name == "javascript":
            return ["node", f"--max-old-space-size={memory_mb}", "--v8-pool-size=1",
                    "--stack-size=4000", entrypoint, *args]
        if self.name == "java":
            return ["java", *jvm_flags(memory_mb), "-cp", ".", java_class(entrypoint), *args]
        return ["./prog", *args]

    def unittest_argv(self, test_file: str, memory_mb: int, time_s: float) -> list[str]:
        """The one step that runs the teacher's unit tests (`time_s`: each test, JUnit)."""
        if self.unittest == "pytest":
            return ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-p", "grader_pytest_report", "-o", "addopts=", "--rootdir=.", test_file]
        if self.unittest == "junit":
            test_class = java_class(test_file)
            return ["java", *jvm_flags(memory_mb), f"-XX:SharedArchiveFile={JUNIT_ARCHIVE}",
                    "-jar", JUNIT_JAR, "--class-path=.",
                    f"--select-class={test_class}", "--reports-dir=.", "--disable-banner",
                    "--disable-ansi-colors", "--details=none",
                    # A test past its time fails alone (its thread is left spinning until
                    # the launcher exits) instead of costing every test the whole run.
                    f"--config=junit.jupiter.execution.timeout.default={int(time_s * 1000)}ms",
                    "--config=junit.jupiter.execution.timeout.thread.mode.default="
                    "SEPARATE_THREAD"]
        raise AssertionError(self.name)


def _limits(**values: float) -> Mapping[str, float]:
    return MappingProxyType(values)


PYTHON = LanguageProfile(
    name="python", packages=("python3", "python3-pytest"), suffixes=(".py",),
    unittest="pytest", memory_markers=(b"MemoryError",),
)
C = LanguageProfile(
    name="c",
    packages=("python3", "gcc", "libc6-dev"),
    suffixes=(".c",),
    default_compile_flags=("-O2", "-std=c17", "-Wall", "-Wextra"),
    default_link_flags=("-lm",),
)
CPP = LanguageProfile(
    name="cpp",
    packages=("python3", "gcc", "g++", "libc6-dev"),
    suffixes=(".cpp", ".cc", ".cxx"),
    # cc1plus parsing <iostream> and <bits/stdc++.h> needs more than a C compile.
    limits=_limits(compile_memory_mb=512),
    default_compile_flags=("-O2", "-std=c++17", "-Wall", "-Wextra"),
    memory_markers=(b"std::bad_alloc",),
)
JAVASCRIPT = LanguageProfile(
    name="javascript",
    packages=("python3", "nodejs"),
    suffixes=(".js",),
    # memory_mb is V8's heap (--max-old-space-size); node maps some 400 MiB of address space
    # beside it, hence RLIMIT_AS at the heap plus 512 MiB (which also keeps a Buffer bomb
    # under the container's cgroup, where it would thrash instead of failing). Four threads
    # at start (--v8-pool-size=1), libuv's four more on first file or DNS work.
    limits=_limits(memory_mb=256, processes=64, time_s=3, compile_memory_mb=256),
    address_space_extra_mb=512,
    memory_markers=(b"JavaScript heap out of memory", b"Array buffer allocation failed"),
)
JAVA = LanguageProfile(
    name="java",
    packages=("python3", "openjdk-17-jdk-headless", "junit5"),
    suffixes=(".java",),
    # memory_mb is the heap (-Xmx); the JVM adds 40-150 MiB of its own, held by the
    # container's cgroup. About 15 threads before the program makes any.
    limits=_limits(memory_mb=256, processes=64, time_s=5, total_time_s=120,
                   compile_time_s=60, compile_memory_mb=512),
    unittest="junit",
    address_space_extra_mb=None,
    memory_markers=(b"java.lang.OutOfMemoryError: Java heap space",
                    b"java.lang.OutOfMemoryError: Metaspace",
                    b"java.lang.OutOfMemoryError: Requested array size",
                    b"java.lang.OutOfMemoryError: Direct buffer memory",
                    b"java.lang.OutOfMemoryError: Cannot reserve",  # direct buffers, JDK 17
                    b"java.lang.OutOfMemoryError: GC overhead"),
)
LANGUAGES: dict[str, LanguageProfile] = {p.name: p for p in (PYTHON, C, CPP, JAVASCRIPT, JAVA)}
