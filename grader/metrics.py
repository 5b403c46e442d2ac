"""What the engine counts about itself: sandbox failures, by reason.

Plain prometheus_client counters in the default registry; whoever embeds the engine decides
how to serve them (the bridge's workers sum them over their pool processes).
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter


class SandboxFailure(StrEnum):
    ENGINE_UNAVAILABLE = "engine_unavailable"  # the Docker engine did not answer
    START_FAILED = "start_failed"        # the engine refused to start a container
    PREPARE_FAILED = "prepare_failed"    # a pre-started runner was unusable; replaced
    WALL_CLOCK = "wall_clock"            # killed by the host wall clock; container retired
    RUN_ERROR = "run_error"              # the exchange with the runner broke
    RUNNER_ERROR = "runner_error"        # the runner reported an error of its own
    RUNNER_KILLED = "runner_killed"      # the program killed or starved its runner; retired
    UNCLEAN = "unclean"                  # the run left something behind; container retired
    IMAGE_MISSING = "image_missing"      # no runner image for the language


SANDBOX_FAILURES = Counter(
    "grader_sandbox_failures_total", "Sandbox errors, wall-clock kills and retired containers.",
    ["reason"],
)


def sandbox_failure(reason: SandboxFailure) -> None:
    """Count one sandbox failure."""
    SANDBOX_FAILURES.labels(reason=reason.value).inc()


def declare_sandbox_failures() -> None:
    """Zero-valued series for every reason, so rates exist before the first failure."""
    for reason in SandboxFailure:
        SANDBOX_FAILURES.labels(reason=reason.value)
