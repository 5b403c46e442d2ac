"""Readiness probes: the database, the Redis broker and (when configured) the Docker engine."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from bridge.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    probe: Callable[[], None]


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    duration_ms: float
    error: str | None = None


@lru_cache(maxsize=4)
def _probe_engine(url: str, timeout_s: float) -> Engine:
    """A pool-less engine: every probe opens a real connection, bounded by the driver timeout."""
    connect_args: dict[str, Any]
    if url.startswith("sqlite"):
        connect_args = {"timeout": timeout_s}
    else:
        ms = int(timeout_s * 1000)
        connect_args = {"connect_timeout": max(1, round(timeout_s)),
                        "options": f"-c statement_timeout={ms}"}
    return create_engine(url, poolclass=NullPool, connect_args=connect_args)


def database_probe(url: str, timeout_s: float) -> Callable[[], None]:
    """SELECT 1 on a fresh connection to `url`."""
    def probe() -> None:
        with _probe_engine(url, timeout_s).connect() as connection:
            connection.execute(text("SELECT 1"))
    return probe


def redis_probe(url: str, timeout_s: float) -> Callable[[], None]:
    """PING the Redis server at `url`."""
    def probe() -> None:
        client = redis.Redis.from_url(url, socket_timeout=timeout_s,
                                      socket_connect_timeout=timeout_s)
        try:
            client.ping()
        finally:
            client.close()
    return probe


def docker_probe(timeout_s: float) -> Callable[[], None]:
    """Ping the Docker engine named by the environment (DOCKER_HOST, TLS settings)."""
    def probe() -> None:
        import docker

        client = docker.from_env(timeout=max(1, round(timeout_s)))
        try:
            if not client.ping():
                raise RuntimeError("the Docker engine did not answer the ping")
        finally:
            client.close()
    return probe


def readiness_checks(settings: Settings) -> list[Check]:
    """What this bridge depends on, from its settings."""
    timeout = settings.health_check_timeout_s
    checks = [Check("database", database_probe(settings.database_url, timeout))]
    if settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
        checks.append(Check("redis", redis_probe(settings.broker_url, timeout)))
    if settings.redis_url and settings.redis_url != settings.broker_url:
        checks.append(Check("redis_cache", redis_probe(settings.redis_url, timeout)))
    if settings.readiness_checks_docker:
        checks.append(Check("docker", docker_probe(timeout)))
    return checks


async def _run(check: Check, timeout_s: float) -> CheckResult:
    started = time.perf_counter()
    try:
        # The thread is a backstop: every probe also has its own driver-level timeout.
        await asyncio.wait_for(asyncio.to_thread(check.probe), timeout_s + 0.5)
    except Exception as exc:
        error = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        log.warning("readiness check %s failed: %s", check.name, exc)
        return CheckResult(check.name, False, _ms_since(started), error)
    return CheckResult(check.name, True, _ms_since(started))


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


async def run_checks(checks: list[Check], timeout_s: float) -> list[CheckResult]:
    """Run every check concurrently, each bounded by `timeout_s`."""
    return list(await asyncio.gather(*(_run(check, timeout_s) for check in checks)))
