"""Grading metrics of the workers."""

from __future__ import annotations

from prometheus_client import Histogram

from grader import GradingResult

GRADING_DURATION = Histogram(
    "grader_grading_duration_seconds", "Time to grade one submission in the sandbox.",
    ["language"], buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)


def record_grading(result: GradingResult) -> None:
    """Observe the grading time of one stored result."""
    GRADING_DURATION.labels(language=result.language).observe(result.total_time_s)
