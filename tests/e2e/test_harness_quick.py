"""`make e2e` in small (issue 14): 20 submissions through every real process, one worker killed.

The same harness as the full run (tests/e2e/harness): its own PostgreSQL cluster and Redis, the
bridge behind Caddy, two grading workers, the Moodle worker, the scheduler and the stand-in as
a server; a grading worker is SIGKILLed mid-grade and comes back. Every grade must arrive in
Moodle once, and be the one its program earns. The figures are printed, not asserted.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness.run import RunSpec, describe, execute
from tests.e2e.harness.stack import Ports, Tuning


@pytest.mark.timeout(420)
def test_quick_burst_survives_a_killed_grading_worker() -> None:
    spec = RunSpec("quick", submissions=20, window_s=8, fault="grading-worker-kill",
                   timeout_s=240, ports=Ports.find_free(18440, 6396),
                   tuning=Tuning(delivery_backoff_s=2, grading_lease_margin_s=10,
                                 moodle_timeout_s=5))
    result = execute(spec)
    report = describe(result)
    print(report)
    verdict = result.verdict
    assert (verdict.delivered, verdict.lost, verdict.wrong, verdict.conflicting) \
        == (20, [], [], []), report
    assert result.fault_note.startswith("SIGKILL grading-"), report
    assert result.recovery_s is not None, report
    # Everything the workers did is in their /metrics: every task finished as a success.
    assert any("grader_tasks_total" in line for line in result.retries), report
