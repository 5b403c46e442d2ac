"""One harness run: a fresh stack, the burst, optionally one fault during it, the verdict."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tests.e2e.harness import burst
from tests.e2e.harness.faults import FAULTS
from tests.e2e.harness.programs import plan
from tests.e2e.harness.services import Sampler
from tests.e2e.harness.stack import Ports, Stack, Tuning

# What shows the faults and the retries: delivery retries, parked deliveries, the sweeps'
# re-sends, task outcomes, sandbox kills, and every intake answer that made the plugin try again.
RETRY_METRIC = re.compile(
    r"^((?:bridge_delivery_retries|bridge_deliveries_parked|bridge_sweep_requeues|grader_tasks|"
    r"grader_sandbox_failures)\w*|bridge_http_requests_total(?=\{[^}]*intake[^}]*status=\"[45]))"
    r"(\{[^}]*\})? (\S+)$", re.MULTILINE)


@dataclass
class RunSpec:
    name: str
    submissions: int = 20
    window_s: float = 10.0
    grading_workers: int = 2
    remote_workers: int = 0
    fault: str | None = None
    fault_duration_s: float = 20.0
    timeout_s: float = 600.0
    ports: Ports = field(default_factory=Ports)
    tuning: Tuning = field(default_factory=Tuning)
    keep: bool = False


@dataclass
class RunResult:
    spec: RunSpec
    verdict: burst.Verdict
    figures: dict[str, float]
    memory_mb: dict[str, float]
    retries: list[str]
    notifications: str = ""
    fault_note: str = ""
    recovery_s: float | None = None
    resumed_s: float | None = None
    stuck: list[str] = field(default_factory=list)
    folder: Path | None = None
    states: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict.ok and (self.spec.fault is None or self.recovery_s is not None)


def _graded_count(stack: Stack) -> int:
    assert stack.postgres is not None
    engine = sa.create_engine(stack.postgres.url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM results")).scalar_one())
    except sa.exc.OperationalError:
        return 0
    finally:
        engine.dispose()


class FaultThread(threading.Thread):
    """Waits until part of the burst is graded, then does the fault; records when it cleared."""

    def __init__(self, stack: Stack, spec: RunSpec) -> None:
        super().__init__(daemon=True)
        self.stack, self.spec = stack, spec
        self.note = ""
        self.started_at = self.cleared_at = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        assert self.spec.fault is not None
        trigger = max(2, self.spec.submissions // 6)
        try:
            while _graded_count(self.stack) < trigger:
                time.sleep(0.2)
            self.started_at = time.time()
            self.note = FAULTS[self.spec.fault](self.stack, self.spec.fault_duration_s)
            self.cleared_at = time.time()
        except BaseException as exc:  # reported by the run, not lost in a thread
            self.error = exc


def execute(spec: RunSpec) -> RunResult:
    """Start a stack, run the burst (and the fault), check, measure, stop."""
    folder = Path(tempfile.mkdtemp(prefix=f"e2e-{spec.name}-"))
    stack = Stack(folder, ports=spec.ports, tuning=spec.tuning,
                  grading_workers=spec.grading_workers, remote_workers=spec.remote_workers)
    try:
        stack.start()
        tracked = [*stack.services.values(), stack.postgres]
        with Sampler(lambda: [s for s in tracked if s is not None]):
            burst.link_exercises(stack)
            fault = FaultThread(stack, spec) if spec.fault else None
            if fault is not None:
                fault.start()
            sent = burst.send_burst(stack, plan(spec.submissions), spec.window_s)
            verdict = burst.wait_for_grades(stack, sent, spec.timeout_s)
            if fault is not None:
                fault.join(timeout=spec.timeout_s)
                if fault.error is not None:
                    raise fault.error
            figures = burst.figures(stack, sent, verdict)
            notifications = burst.notification_summary(stack)
            retries = [f"{name}: {m.group(0)}" for name, text in stack.metrics().items()
                       for m in RETRY_METRIC.finditer(text) if float(m.group(3)) > 0]
        recovery = resumed = None
        if fault is not None and fault.cleared_at:
            after = [at for times in verdict.received.values() for at in times
                     if at >= fault.cleared_at]
            resumed = min(after) - fault.cleared_at if after else None
            # Recovered: every grade is in Moodle; measured from the moment the fault cleared.
            recovery = max(0.0, verdict.last_delivered_at - fault.cleared_at) \
                if not verdict.lost else None
        stuck = [] if verdict.ok else [str(row) for row in burst.stuck_items(stack)[:20]]
        states = burst.end_states(stack)
        memory = {name: service.peak_rss / 2**20 for name, service in stack.services.items()}
        if stack.postgres is not None:
            memory["postgres"] = stack.postgres.peak_rss / 2**20
        return RunResult(spec, verdict, figures, memory, retries, notifications,
                         fault.note if fault else "", recovery, resumed, stuck, folder, states)
    finally:
        stack.stop()
        if not spec.keep:
            shutil.rmtree(folder, ignore_errors=True)


def describe(result: RunResult) -> str:
    """The run's figures and verdict, as printed."""
    spec, v, f = result.spec, result.verdict, result.figures
    lines = [f"== {spec.name}: {spec.submissions} submissions in {spec.window_s:.0f} s, "
             f"{spec.grading_workers} grading worker(s)"
             f"{f' + {spec.remote_workers} on a second host' if spec.remote_workers else ''}, fault: {spec.fault or 'none'}"
             f"{' (' + result.fault_note + ')' if result.fault_note else ''}",
             f"   delivered {v.delivered}/{v.expected}, lost {len(v.lost)}, wrong grade "
             f"{len(v.wrong)}, conflicting duplicates {len(v.conflicting)}, same-grade repeats "
             f"{v.repeated_same}  -> {'PASS' if result.ok else 'FAIL'}",
             f"   last submission -> last delivered grade: {f['drain_s']:.1f} s; "
             f"graded/min: {f['graded_per_min']:.1f}",
             f"   submit->graded    p50 {f['grade_p50_s']:.1f} s  p95 {f['grade_p95_s']:.1f} s"
             f"  p99 {f['grade_p99_s']:.1f} s",
             f"   submit->delivered p50 {f['deliver_p50_s']:.1f} s  p95 {f['deliver_p95_s']:.1f}"
             f" s  p99 {f['deliver_p99_s']:.1f} s"]
    if spec.fault:
        def seconds(value: float | None) -> str:
            return "never" if value is None else f"{value:.1f} s"
        lines.append(f"   fault cleared -> next grade delivered {seconds(result.resumed_s)}, "
                     f"-> every grade delivered (recovery) {seconds(result.recovery_s)}")
    lines.append("   peak RSS MB: " + ", ".join(f"{name} {mb:.0f}"
                                                 for name, mb in result.memory_mb.items()))
    lines.append(f"   plugin: {result.notifications}")
    unsettled = {name: count for name, count in result.states.items()
                 if name not in ("item fetched", "submission delivered", "delivery delivered")}
    lines.append(f"   rows not in their end state: {unsettled or 'none'}")
    lines += [f"   metric {line}" for line in result.retries]
    for problem in (v.lost[:10] + v.wrong[:10] + v.conflicting[:10]):
        lines.append(f"   ! {problem}")
    for row in result.stuck:
        lines.append(f"   stuck: {row}")
    return "\n".join(lines)
