"""Warm runners: for each language, a container whose runner is up before the job arrives.

A runner serves submission after submission over its open exec stream, so a submission costs
no engine call at all. A container is replaced after `max_uses` submissions, near its TTL,
or at once when a run was not verified clean; the replacement starts in the background.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from grader.images import ensure_image
from grader.languages import LANGUAGES
from grader.metrics import SandboxFailure, sandbox_failure
from grader.sandbox.containers import Engine
from grader.sandbox.protocol import RunnerStream

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 60.0


@dataclass
class WarmRunner:
    """A container and the runner listening in it, ready for its next submission."""

    container_name: str
    stream: RunnerStream
    started_at: float = field(default_factory=time.monotonic)
    uses: int = 0


class RunnerPool:
    """The warm runner for one language in this process; runs one submission at a time."""

    def __init__(self, engine: Engine, language: str) -> None:
        self.engine = engine
        self.language = language
        self.image_id = ensure_image(engine.client, LANGUAGES[language])
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"pool-{language}")
        self.ready: Future[WarmRunner] | None = None
        self.current: WarmRunner | None = None  # the runner serving a submission right now
        self.lock = threading.Lock()  # one submission at a time per pool

    def take(self) -> WarmRunner:
        """The warm runner (waiting for it if it is still starting)."""
        if self.ready is None:
            self.prepare_next()
        assert self.ready is not None
        future, self.ready = self.ready, None
        try:
            runner = future.result()
        except Exception:
            log.warning("prepared sandbox runner failed; starting a fresh container",
                        exc_info=True)
            sandbox_failure(SandboxFailure.PREPARE_FAILED)
            runner = self.start()
        runner.uses += 1
        self.current = runner
        return runner

    def give_back(self, runner: WarmRunner) -> None:
        """A run went well: keep the runner for the next submission unless it is worn out."""
        self.current = None
        settings = self.engine.settings
        old = time.monotonic() - runner.started_at > settings.container_ttl_s * 0.8
        if runner.uses >= settings.max_uses or old:
            self.discard(runner)
            return
        done: Future[WarmRunner] = Future()
        done.set_result(runner)
        self.ready = done

    def discard(self, runner: WarmRunner) -> None:
        """Retire the runner's container and start a replacement, both in the background."""
        self.current = None
        runner.stream.close()
        self.prepare_next()
        self.executor.submit(self.engine.remove_container, runner.container_name)

    def kill_now(self, runner: WarmRunner) -> None:
        """Remove a hung runner's container before anything else (the host wall clock)."""
        self.current = None
        runner.stream.close()
        self.engine.remove_container(runner.container_name)
        self.prepare_next()

    def prepare_next(self) -> None:
        self.ready = self.executor.submit(self.start)

    def start(self) -> WarmRunner:
        """A new container with its runner up and its fork server warm."""
        name = self.engine.start_container(self.image_id, self.language)
        try:
            stream = RunnerStream(self.engine.start_runner(name, self.language))
            hello = stream.read_frame(time.monotonic() + READY_TIMEOUT_S)
            if hello.get("ready") is not True:
                raise RuntimeError(f"runner in {name} said {hello!r}")
        except Exception:
            self.engine.remove_container(name)
            raise
        return WarmRunner(name, stream)

    def close(self) -> None:
        if self.ready is not None:
            try:
                runner = self.ready.result(timeout=60)
                runner.stream.close()
                self.engine.remove_container(runner.container_name)
            except Exception:  # noqa: S110 - nothing is left to remove if the start failed
                pass
        self.executor.shutdown(wait=True)
        self.ready = None
