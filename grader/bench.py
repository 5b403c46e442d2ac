"""`make bench`: grading throughput and latency against the bare-process floor, per language.

For each language (Python, C, C++, JavaScript, Java; `--languages` picks some) it prints:
- the floor: the same submission done with bare host processes (compiled languages: the
  compile, then the program per test), two workers in parallel, timed once every worker is
  warm; C also gets a floor compiled with the grader's own gcc options, so the ratio to it
  is the sandbox's cost alone;
- the grader's throughput with two workers (each its own process and sandbox), 10 tests per
  submission, and its ratio to the floor;
- the p50/p95 latency a submission adds: each submission graded through the sandbox minus the
  same work done natively, measured one at a time.
A language whose tool is missing on the host (g++, node, javac) gets the grader's figure only.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.exercise import Limits
from grader.languages import GCC_DRIVER_OPTIONS, LANGUAGES

TESTS = 10
# The floor runs Debian's python3 and gcc, what the runner images have: a slower host
# interpreter (a pyenv build, say) would flatter the sandbox.
NATIVE_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
C_FLAGS = ["-O2", "-std=c17", "-Wall", "-Wextra"]
DEFAULT_LIMITS = Limits()
DEFAULT_ROUNDS = 3  # Python and C, whose targets the issue set; the others are slower to run


@dataclass(frozen=True)
class Case:
    language: str
    entrypoint: str
    source: bytes
    target: dict[str, float]  # figure -> target, printed beside it
    per_worker: int  # submissions per worker in the throughput runs

    def native_argv(self, grader_gcc: bool = False) -> tuple[list[str] | None, list[str]]:
        """The compile step (if any) and the per-test command line, as bare host processes.

        C is gcc as a teacher would run it, or with `grader_gcc` as the grader drives it
        (GCC_DRIVER_OPTIONS: the floor then differs from the sandbox only by the sandbox);
        the other languages run the profile's own command lines, so the floor pays the same
        JVM and V8 flags and gcc options as the sandbox.
        """
        if self.language == "c":
            options = list(GCC_DRIVER_OPTIONS) if grader_gcc else []
            return (["gcc", *options, *C_FLAGS, "-o", "prog", self.entrypoint, "-lm"],
                    ["./prog"])
        if self.language == "python":
            return None, [NATIVE_PYTHON, "-E", "-s", self.entrypoint]
        profile = LANGUAGES[self.language]
        memory = DEFAULT_LIMITS.memory_mb if "memory_mb" not in profile.limits \
            else int(profile.limits["memory_mb"])
        compile_memory = int(profile.limits.get("compile_memory_mb",
                                                DEFAULT_LIMITS.compile_memory_mb))
        return (profile.compile_argv(self.entrypoint, [self.entrypoint], None, None,
                                     compile_memory),
                profile.run_argv(self.entrypoint, [], memory))

    def native_tool(self) -> str:
        """The host program the floor needs (it is not measured without it)."""
        compile_argv, run_argv = self.native_argv()
        return (compile_argv or run_argv)[0]

    def native(self, workdir: Path, grader_gcc: bool = False) -> float:
        """Do one submission's work with bare host processes; return seconds."""
        compile_argv, argv = self.native_argv(grader_gcc)
        started = time.perf_counter()
        if compile_argv is not None:
            subprocess.run(compile_argv, cwd=workdir, check=True, capture_output=True)
        for i in range(TESTS):
            out = subprocess.run(argv, cwd=workdir, input=f"{i} {i * 7}\n".encode(),
                                 capture_output=True, timeout=10, check=False)
            if out.stdout.strip() != str(i * 8).encode():
                raise RuntimeError("native run gave a wrong answer")
        return time.perf_counter() - started

    def exercise_files(self) -> dict[str, bytes]:
        tests = [{"name": f"case {i}", "stdin": f"{i} {i * 7}\n",
                  "expected_stdout": f"{i * 8}\n"} for i in range(TESTS)]
        # A generous time limit: a load spike on a shared machine must not fail a test.
        spec = {"language": self.language, "entrypoint": self.entrypoint,
                "limits": {"time_s": 10}, "tests": tests}
        return {"exercise.yaml": yaml.safe_dump(spec).encode()}


CASES = {
    "python": Case("python", "solution.py",
                   b"a, b = map(int, input().split())\nprint(a + b)\n",
                   {"ratio": 1.5, "p50": 15.0, "p95": 40.0}, per_worker=150),
    "c": Case("c", "solution.c",
              b'#include <stdio.h>\nint main(void) {\n    long a, b;\n'
              b'    if (scanf("%ld %ld", &a, &b) != 2) return 1;\n'
              b'    printf("%ld\\n", a + b);\n    return 0;\n}\n',
              {"ratio": 1.0}, per_worker=150),
    "cpp": Case("cpp", "main.cpp",
                b"#include <iostream>\nint main() {\n    long a, b;\n"
                b"    if (!(std::cin >> a >> b)) return 1;\n"
                b'    std::cout << a + b << "\\n";\n}\n',
                {"ratio": 1.0}, per_worker=30),
    "javascript": Case("javascript", "main.js",
                       b'const [a, b] = require("fs").readFileSync(0, "utf8").trim()'
                       b".split(/\\s+/).map(Number);\nconsole.log(a + b);\n",
                       {"ratio": 1.0}, per_worker=150),
    "java": Case("java", "Main.java",
                 b"import java.util.Scanner;\npublic class Main {\n"
                 b"    public static void main(String[] args) {\n"
                 b"        Scanner in = new Scanner(System.in);\n"
                 b"        System.out.println(in.nextLong() + in.nextLong());\n    }\n}\n",
                 {"ratio": 1.0}, per_worker=15),
}


def _native_worker(args: tuple[str, int, Any, bool]) -> None:
    name, count, barrier, grader_gcc = args
    case = CASES[name]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, case.entrypoint).write_bytes(case.source)
        case.native(Path(tmp), grader_gcc)  # warm, as the grader's first grade starts a container
        barrier.wait()
        for _ in range(count):
            case.native(Path(tmp), grader_gcc)


def _grader_worker(args: tuple[str, int, Any]) -> list[float]:
    name, count, barrier = args
    from grader.config import get_grader_settings
    from grader.exercise import parse_exercise
    from grader.grading import grade
    from grader.sandbox.docker import DockerSandbox

    case = CASES[name]
    exercise = parse_exercise(case.exercise_files())
    sandbox = DockerSandbox(get_grader_settings())
    try:
        grade(exercise, {case.entrypoint: case.source}, sandbox)  # warm: start the container
        barrier.wait()
        times = []
        for _ in range(count):
            started = time.perf_counter()
            result = grade(exercise, {case.entrypoint: case.source}, sandbox)
            times.append(time.perf_counter() - started)
            if result.score != TESTS:
                raise RuntimeError(f"grader gave {result.score}/{TESTS}")
        return times
    finally:
        sandbox.close()


def _timed_pool(worker: Callable[[Any], Any], name: str, per_worker: int, workers: int,
                *extra: Any) -> float:
    """Submissions per minute of `workers` processes, timed from when all of them are warm.

    Each worker gets (name, per_worker, the start barrier, *extra).

    Neither side pays for its start-up inside the timing: the pool's interpreters, the
    imports, the grader's first container, the floor's first compile (page cache).
    """
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        barrier = manager.Barrier(workers + 1)
        with context.Pool(workers) as pool:
            pending = pool.map_async(worker, [(name, per_worker, barrier, *extra)] * workers)
            barrier.wait()
            started = time.perf_counter()
            pending.get()
            elapsed = time.perf_counter() - started
    return workers * per_worker / elapsed * 60


def measure_floor(name: str, per_worker: int, workers: int, grader_gcc: bool = False) -> float:
    """Submissions per minute done with bare host processes."""
    return _timed_pool(_native_worker, name, per_worker, workers, grader_gcc)


def measure_grader(name: str, per_worker: int, workers: int) -> float:
    """Submissions per minute graded through the sandbox."""
    return _timed_pool(_grader_worker, name, per_worker, workers)


def measure_latency(name: str, samples: int) -> tuple[list[float], list[float]]:
    """Per submission: sandboxed time minus native time, and the native time."""
    from grader.config import get_grader_settings
    from grader.exercise import parse_exercise
    from grader.grading import grade
    from grader.sandbox.docker import DockerSandbox

    case = CASES[name]
    exercise = parse_exercise(case.exercise_files())
    sandbox = DockerSandbox(get_grader_settings())
    overheads, natives = [], []
    try:
        grade(exercise, {case.entrypoint: case.source}, sandbox)
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, case.entrypoint).write_bytes(case.source)
            for _ in range(samples):
                native = case.native(Path(tmp))
                started = time.perf_counter()
                grade(exercise, {case.entrypoint: case.source}, sandbox)
                overheads.append(time.perf_counter() - started - native)
                natives.append(native)
    finally:
        sandbox.close()
    return overheads, natives


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench(name: str, submissions: int, workers: int, samples: int, rounds: int) -> None:
    """Measure and print one language's figures (the floor only where the host has the tool).

    The floor and the grader take turns, `rounds` times: a load that comes and goes on a
    shared machine then weighs on both, and the medians are printed with every round's ratio.
    """
    case = CASES[name]
    native = shutil.which(case.native_tool()) is not None
    if not native:
        print(f"[{name}] no {case.native_tool()} on this host: no floor, no latency",
              file=sys.stderr)
    floors: list[float] = []
    sames: list[float] = []  # C: the floor built with the grader's own gcc options
    graders: list[float] = []
    for round_ in range(1, rounds + 1):
        print(f"[{name}] round {round_}/{rounds} ...", file=sys.stderr, flush=True)
        if native:
            floors.append(measure_floor(name, submissions, workers))
            if name == "c":
                sames.append(measure_floor(name, submissions, workers, grader_gcc=True))
        graders.append(measure_grader(name, submissions, workers))
    median = statistics.median
    grader = median(graders)
    if floors:
        print(f"{name:10} floor (bare processes):     {median(floors):8.1f} submissions/min",
              flush=True)
    print(f"{name:10} grader (sandboxed):         {grader:8.1f} submissions/min", flush=True)
    if not floors:
        return
    print(f"[{name}] latency ...", file=sys.stderr, flush=True)
    overheads, natives = measure_latency(name, samples)
    target = case.target
    latency = ""
    if "p50" in target:
        latency = f"   (target p50 <= {target['p50']:.0f} ms, p95 <= {target['p95']:.0f} ms)"
    def each(ratios: list[float]) -> str:
        return f"; rounds {' '.join(f'{r:.2f}' for r in ratios)}" if rounds > 1 else ""

    ratios = [g / f for g, f in zip(graders, floors, strict=True)]
    print(f"{name:10} ratio grader/floor:         {median(ratios):8.2f}   "
          f"(target >= {target['ratio']:.1f}{each(ratios)})")
    if sames:
        same_ratios = [g / f for g, f in zip(graders, sames, strict=True)]
        print(f"{name:10} floor, gcc {' '.join(GCC_DRIVER_OPTIONS)}: {median(sames):6.1f} "
              f"submissions/min, ratio {median(same_ratios):.2f} (the sandbox's own cost"
              f"{each(same_ratios)})")
    print(f"{name:10} native work per submission: p50 "
          f"{statistics.median(natives) * 1000:6.1f} ms")
    print(f"{name:10} latency added:              p50 "
          f"{percentile(overheads, 0.5) * 1000:6.1f} ms, p95 "
          f"{percentile(overheads, 0.95) * 1000:6.1f} ms{latency}", flush=True)


def _languages(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown language {', '.join(unknown)}; "
                                         f"choose from {', '.join(CASES)}")
    return names


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="grader.bench")
    parser.add_argument("--submissions", type=int, help="per worker and round, every "
                        "language (default: Python 150, C 150, C++ 30, JavaScript 40, Java 15)")
    parser.add_argument("--rounds", type=int, help="floor and grader take turns this often "
                        f"(default: {DEFAULT_ROUNDS} for Python and C, 1 for the others)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-samples", type=int, default=60,
                        help="Python; a third of it for the others")
    parser.add_argument("--languages", type=_languages, default=list(CASES),
                        help=f"comma-separated (default: {','.join(CASES)})")
    args = parser.parse_args(argv)
    print(f"grading benchmark: {TESTS} tests per submission, {args.workers} workers; "
          f"floor interpreter {NATIVE_PYTHON}, floor compiler gcc {' '.join(C_FLAGS)}; "
          "C++, JavaScript and Java floors run the profiles' own command lines on the host",
          flush=True)
    for name in args.languages:
        count = args.submissions or CASES[name].per_worker
        samples = args.latency_samples if name == "python" else max(args.latency_samples // 3, 5)
        rounds = args.rounds or (DEFAULT_ROUNDS if name in ("python", "c") else 1)
        bench(name, count, args.workers, samples, rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
