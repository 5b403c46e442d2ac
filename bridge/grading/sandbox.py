"""This worker process's sandbox: its warm containers live as long as the process."""

from __future__ import annotations

import logging

import docker

from grader import DockerSandbox, GraderSettings, reap_orphans

log = logging.getLogger(__name__)
_sandbox: DockerSandbox | None = None


def get_sandbox() -> DockerSandbox:
    """The process's sandbox, started on first use."""
    global _sandbox
    if _sandbox is None:
        _sandbox = DockerSandbox(GraderSettings())
    return _sandbox


def close_sandbox() -> None:
    """Remove the process's warm containers (at process shutdown)."""
    global _sandbox
    if _sandbox is not None:
        _sandbox.close()
        _sandbox = None


def reap_orphans_once() -> None:
    """Remove the containers of worker processes that died without cleaning up."""
    try:
        removed = reap_orphans(docker.from_env())
    except docker.errors.DockerException:
        log.exception("cannot reach the Docker engine to remove orphaned sandboxes")
        return
    if removed:
        log.info("removed %d orphaned sandbox containers", len(removed))
