"""Docker sandbox: hardened containers whose runners serve submissions one at a time.

The container, its runner and the runner's fork server are started before a job arrives
(`pool`); a submission is one framed write to the runner's stdin and one framed read from its
stdout (`protocol`), no engine call. Inside, every step runs under a uid of its own and the
runner verifies that nothing of it is left; a run that is not verified clean, hits the host
wall clock or misbehaves retires the container. The engine calls themselves are in
`containers`.
"""

from __future__ import annotations

import logging
import time

import docker
from docker.errors import DockerException

from grader.config import GraderSettings
from grader.images import ImageMissing
from grader.metrics import SandboxFailure, sandbox_failure
from grader.sandbox import SandboxError, SandboxJob, SandboxOutcome
from grader.sandbox.containers import (
    INSTANCE_LABEL,
    LABEL,
    OWNER_LABEL,
    Engine,
    reap_orphans,
)
from grader.sandbox.pool import RunnerPool
from grader.sandbox.protocol import aborted, decode_outcome, encode_job

__all__ = ["INSTANCE_LABEL", "LABEL", "OWNER_LABEL", "DockerSandbox", "reap_orphans"]

log = logging.getLogger(__name__)
STOP_SETTLE_S = 3.0


class DockerSandbox:
    """The Docker implementation of :class:`grader.sandbox.Sandbox`."""

    def __init__(self, settings: GraderSettings, client: docker.DockerClient | None = None):
        self.settings = settings
        self.client = client or docker.from_env(timeout=120)
        self.engine = Engine(settings, self.client)
        self.pools: dict[str, RunnerPool] = {}

    def image_digest(self, language: str) -> str:
        """The id of the image that runs `language`."""
        return self._pool(language).image_id

    def _pool(self, language: str) -> RunnerPool:
        if language not in self.pools:
            try:
                self.pools[language] = RunnerPool(self.engine, language)
            except ImageMissing:
                raise
            except Exception as exc:  # the engine is down or unreachable: retry later
                sandbox_failure(SandboxFailure.ENGINE_UNAVAILABLE)
                raise SandboxError(f"Docker engine unavailable: {exc}") from exc
        return self.pools[language]

    def run(self, job: SandboxJob) -> SandboxOutcome:
        """Run `job` in a warm container, each step under a fresh uid; return raw outcomes."""
        pool = self._pool(job.language)
        with pool.lock:
            return self._run(pool, job)

    def _run(self, pool: RunnerPool, job: SandboxJob) -> SandboxOutcome:
        try:
            runner = pool.take()
        except (OSError, DockerException) as exc:  # requests' errors are OSErrors
            # The engine went away (restarting, its socket gone): nothing ran, try again later.
            sandbox_failure(SandboxFailure.ENGINE_UNAVAILABLE)
            raise SandboxError(f"Docker engine unavailable: {exc}") from exc
        try:
            raw = runner.stream.exchange(encode_job(job), self._deadline(job))
        except TimeoutError:
            log.warning("sandbox %s exceeded the host wall clock; removing it",
                        runner.container_name)
            sandbox_failure(SandboxFailure.WALL_CLOCK)
            pool.kill_now(runner)
            return aborted(job, pool.image_id, "total time limit exceeded", timed_out=True)
        except EOFError:
            log.warning("runner in %s ended without a result; replacing it",
                        runner.container_name)
            sandbox_failure(SandboxFailure.RUNNER_KILLED)
            outside = self._stopped_from_outside(runner.container_name)
            pool.discard(runner)
            if outside:
                # The engine stopped the container (a restart, an operator): not the program's
                # doing, so not its grade; the job is tried again.
                raise SandboxError(
                    f"sandbox {runner.container_name} was stopped from outside") from None
            return aborted(job, pool.image_id, "the run was aborted: its test runner was "
                           "killed", timed_out=False)
        except (OSError, ValueError, DockerException) as exc:
            sandbox_failure(SandboxFailure.RUN_ERROR)
            pool.discard(runner)
            raise SandboxError(f"sandbox run failed: {exc}") from exc
        if "runner_error" in raw or not raw.get("clean", False):
            # Anything left behind (or a runner that could not finish) retires the container.
            log.warning("sandbox %s not clean after a run; replacing it", runner.container_name)
            sandbox_failure(SandboxFailure.RUNNER_ERROR if "runner_error" in raw
                            else SandboxFailure.UNCLEAN)
            pool.discard(runner)
        else:
            pool.give_back(runner)
        if "runner_error" in raw:
            raise SandboxError(f"runner failed: {raw['runner_error']}")
        return decode_outcome(job, pool.image_id, raw)

    def _stopped_from_outside(self, name: str) -> bool:
        """Whether a runner ended because its container stopped (or the engine is gone).

        A program can kill its own runner, but not the container: its init stays up. A
        container no longer running, without its own memory limit's OOM kill, was stopped by
        the engine.
        """
        # The runner's stream ends a moment before the engine marks its container exited.
        deadline = time.monotonic() + STOP_SETTLE_S
        while True:
            try:
                state = self.client.containers.get(name).attrs.get("State", {})
            except (OSError, DockerException):
                return True  # the engine is restarting, or the container went with it
            if not state.get("Running", False):
                return not state.get("OOMKilled", False)
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def _deadline(self, job: SandboxJob) -> float:
        compile_s = job.compile.time_s if job.compile else 0.0
        return time.monotonic() + job.limits.total_time_s + compile_s + self.settings.host_margin_s

    def start_container(self, image_id: str, language: str) -> str:
        """Start one hardened, idle container and return its name."""
        return self.engine.start_container(image_id, language)

    def close(self) -> None:
        """Remove every container this sandbox started."""
        for pool in self.pools.values():
            with pool.lock:
                pool.close()
        self.pools.clear()

    def containers(self) -> list[str]:
        """Names of the containers this sandbox started (for tests and operators)."""
        return self.engine.containers()
