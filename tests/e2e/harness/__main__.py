"""`python -m tests.e2e.harness [--quick] [--only NAME...]`: the load-and-fault harness (make e2e).

Full mode: a 300-submission burst from 150 students in 30 s, then the same burst with 1, 2 and
4 grading workers, then one run per fault (two-minute Moodle outage). `--quick`: 20
submissions, one fault. Exits 1 if any run lost a grade, delivered a wrong one or two
different ones. The Docker engine restart stops the machine's dockerd: it runs only with
`--docker-restart` (never while others use the engine).
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import UTC, datetime
from types import FrameType

from tests.e2e.harness.run import RunSpec, describe, execute
from tests.e2e.harness.stack import Ports, Tuning

FAULT_ORDER = ("grading-worker-kill", "moodle-worker-kill", "redis-restart", "postgres-restart",
               "bridge-restart", "moodle-outage")


def plan_runs(args: argparse.Namespace) -> list[RunSpec]:
    """The runs of the chosen mode."""
    ports = Ports.find_free(args.port_base, args.redis_port)
    if args.quick:
        return [RunSpec("quick", submissions=args.submissions or 20, window_s=8,
                        fault=args.fault or "grading-worker-kill", timeout_s=240, ports=ports,
                        tuning=Tuning(delivery_backoff_s=2, grading_lease_margin_s=10,
                                      moodle_timeout_s=5))]
    count = args.submissions or 300
    runs = [RunSpec(f"scale-{n}", submissions=count, window_s=30, grading_workers=n,
                    timeout_s=1800, ports=ports) for n in (1, 2, 4)]
    runs.append(RunSpec("second-host", submissions=count, window_s=30, grading_workers=1,
                        remote_workers=1, timeout_s=1800, ports=ports))
    faults = list(FAULT_ORDER) + (["docker-restart"] if args.docker_restart else [])
    runs += [RunSpec(f"fault-{name}", submissions=count, window_s=30, fault=name,
                     fault_duration_s=120, timeout_s=1800, ports=ports) for name in faults]
    return runs


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM or SIGHUP stops the harness as Ctrl-C does: the run's stack is stopped first.

    Python's default for these is to die at once, which left the run's PostgreSQL, Redis,
    bridge and workers running. SystemExit unwinds the main thread through the run's
    `finally` (Stack.stop); a second signal during that stop is ignored.
    """
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    print(f"harness: {signal.Signals(signum).name}, stopping the run's stack", flush=True)
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the harness and print its figures."""
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--submissions", type=int)
    parser.add_argument("--fault", help="the quick run's fault (default grading-worker-kill)")
    parser.add_argument("--only", action="append", help="only runs of these names")
    parser.add_argument("--docker-restart", action="store_true")
    parser.add_argument("--port-base", type=int, default=18400)
    parser.add_argument("--redis-port", type=int, default=6396)
    parser.add_argument("--keep", action="store_true", help="keep each run's folder and logs")
    args = parser.parse_args(argv)
    runs = [r for r in plan_runs(args) if not args.only or r.name in args.only]
    print(f"e2e harness, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {len(runs)} run(s)", flush=True)
    failed = 0
    for spec in runs:
        spec.keep = args.keep
        result = execute(spec)
        print(describe(result), flush=True)
        if args.keep:
            print(f"   logs: {result.folder}", flush=True)
        failed += not result.ok
    print(f"{len(runs) - failed}/{len(runs)} runs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
