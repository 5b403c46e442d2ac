"""`make bench`: grading throughput and latency against the bare-subprocess floor.

Prints, in one run:
- the floor: the same tests run as bare host subprocesses, two workers in parallel;
- the grader's throughput with two workers (each its own process and sandbox), Python
  submissions of 10 tests each, and its ratio to the floor;
- the p50/p95 latency a submission adds: each submission graded through the sandbox minus the
  same tests run natively, measured one at a time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

SOLUTION = b"a, b = map(int, input().split())\nprint(a + b)\n"
TESTS = 10
# The floor runs Debian's python3, the interpreter the runner image has: a slower host
# interpreter (a pyenv build, say) would flatter the sandbox.
NATIVE_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def exercise_files() -> dict[str, bytes]:
    tests = [{"name": f"case {i}", "stdin": f"{i} {i * 7}\n", "expected_stdout": f"{i * 8}\n"}
             for i in range(TESTS)]
    spec = {"language": "python", "entrypoint": "solution.py", "tests": tests}
    return {"exercise.yaml": yaml.safe_dump(spec).encode()}


def native_submission(workdir: Path) -> float:
    """Run one submission's tests as bare subprocesses; return seconds."""
    started = time.perf_counter()
    for i in range(TESTS):
        out = subprocess.run([NATIVE_PYTHON, "-E", "-s", "solution.py"], cwd=workdir,
                             input=f"{i} {i * 7}\n".encode(), capture_output=True, timeout=10,
                             check=False)
        if out.stdout.strip() != str(i * 8).encode():
            raise RuntimeError("native run gave a wrong answer")
    return time.perf_counter() - started


def _native_worker(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "solution.py").write_bytes(SOLUTION)
        for _ in range(count):
            native_submission(Path(tmp))


def _grader_worker(args: tuple[int, multiprocessing.Barrier]) -> list[float]:  # type: ignore[type-arg]
    count, barrier = args
    from grader.config import get_grader_settings
    from grader.exercise import parse_exercise
    from grader.grading import grade
    from grader.sandbox.docker import DockerSandbox

    exercise = parse_exercise(exercise_files())
    sandbox = DockerSandbox(get_grader_settings())
    try:
        grade(exercise, {"solution.py": SOLUTION}, sandbox)  # warm: start the container
        barrier.wait()
        times = []
        for _ in range(count):
            started = time.perf_counter()
            result = grade(exercise, {"solution.py": SOLUTION}, sandbox)
            times.append(time.perf_counter() - started)
            if result.score != TESTS:
                raise RuntimeError(f"grader gave {result.score}/{TESTS}")
        return times
    finally:
        sandbox.close()


def measure_floor(per_worker: int, workers: int) -> float:
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(_native_worker, [per_worker] * workers)
    return workers * per_worker / (time.perf_counter() - started) * 60


def measure_grader(per_worker: int, workers: int) -> float:
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()
    barrier = manager.Barrier(workers + 1)
    with context.Pool(workers) as pool:
        pending = pool.map_async(_grader_worker, [(per_worker, barrier)] * workers)
        barrier.wait()
        started = time.perf_counter()
        pending.get()
        elapsed = time.perf_counter() - started
    return workers * per_worker / elapsed * 60


def measure_latency(samples: int) -> tuple[list[float], list[float]]:
    from grader.config import get_grader_settings
    from grader.exercise import parse_exercise
    from grader.grading import grade
    from grader.sandbox.docker import DockerSandbox

    exercise = parse_exercise(exercise_files())
    sandbox = DockerSandbox(get_grader_settings())
    overheads, natives = [], []
    try:
        grade(exercise, {"solution.py": SOLUTION}, sandbox)
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "solution.py").write_bytes(SOLUTION)
            for index in range(samples):
                if index % 10 == 0:
                    print(f"  latency sample {index + 1}/{samples}", file=sys.stderr, flush=True)
                native = native_submission(Path(tmp))
                started = time.perf_counter()
                grade(exercise, {"solution.py": SOLUTION}, sandbox)
                overheads.append(time.perf_counter() - started - native)
                natives.append(native)
    finally:
        sandbox.close()
    return overheads, natives


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="grader.bench")
    parser.add_argument("--submissions", type=int, default=150, help="per worker")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--latency-samples", type=int, default=60)
    args = parser.parse_args(argv)
    print(f"grading benchmark: Python, {TESTS} tests per submission, {args.workers} workers, "
          f"{args.submissions} submissions per worker; floor interpreter {NATIVE_PYTHON}",
          flush=True)
    print("[1/3] floor: bare host subprocesses ...", file=sys.stderr, flush=True)
    floor = measure_floor(args.submissions, args.workers)
    print("[2/3] grader throughput through the sandbox ...", file=sys.stderr, flush=True)
    grader = measure_grader(args.submissions, args.workers)
    print("[3/3] latency added per submission ...", file=sys.stderr, flush=True)
    overheads, natives = measure_latency(args.latency_samples)
    print(f"floor (bare subprocesses):   {floor:8.1f} submissions/min")
    print(f"grader (sandboxed):          {grader:8.1f} submissions/min")
    print(f"ratio grader/floor:          {grader / floor:8.2f}   (target >= 0.50)")
    print(f"native run per submission:   p50 {statistics.median(natives) * 1000:6.1f} ms")
    print(f"latency added by the sandbox: p50 {percentile(overheads, 0.5) * 1000:6.1f} ms, "
          f"p95 {percentile(overheads, 0.95) * 1000:6.1f} ms   (target p50 <= 60 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
