"""The one sandbox interface: run a submission's compile step and tests, return raw outcomes.

The sandbox only runs things; it never sees expected outputs and never scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SandboxLimits:
    memory_mb: int
    processes: int
    output_bytes: int
    file_size_bytes: int
    total_time_s: float
    # RLIMIT_AS is the step's memory plus this; None: no RLIMIT_AS (the cgroup holds it).
    address_space_extra_mb: int | None = 0


@dataclass(frozen=True)
class Step:
    """One process to run: the compile step, or one test."""

    id: str
    argv: list[str]
    time_s: float
    stdin: bytes = b""
    files: dict[str, bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    read_back: str | None = None
    memory_mb: int | None = None  # instead of the job's (the compile step's own limit)


@dataclass(frozen=True)
class SandboxJob:
    language: str
    files: dict[str, bytes]
    compile: Step | None
    tests: list[Step]
    limits: SandboxLimits


@dataclass(frozen=True)
class ProcessOutcome:
    """How one process ended, as the runner saw it; `skipped` when it never ran."""

    id: str
    exit_code: int | None = None
    signal: int | None = None
    timed_out: bool = False
    output_exceeded: bool = False
    stdout: bytes = b""
    stderr: bytes = b""
    wall_s: float = 0.0
    cpu_s: float | None = None
    max_rss_kb: int | None = None
    read_back: bytes | None = None
    skipped: str | None = None


@dataclass(frozen=True)
class SandboxOutcome:
    image_digest: str
    compile: ProcessOutcome | None
    tests: list[ProcessOutcome]
    # Set when the run as a whole broke (host wall clock, runner killed, engine error).
    error: str | None = None


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the student's code): retry the submission later."""


class Sandbox(Protocol):
    def run(self, job: SandboxJob) -> SandboxOutcome:
        """Run `job` in a fresh sandbox and return what happened."""
        ...

    def close(self) -> None:
        """Remove every container this sandbox started."""
        ...
