"""The whole product on this machine: PostgreSQL, Redis, the bridge behind Caddy, grading
workers, the Moodle worker, the scheduler and the Moodle stand-in, each a process of its own."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.harness.netns import WorkerHost
from tests.e2e.harness.services import Postgres, Service, http_ok, wait_port_free
from tests.support import grading_env

SITE = "e2e-site"
BIN = Path(sys.executable).parent


@dataclass
class Ports:
    """Every port of one stack, counted from `base` (two stacks need bases 20 apart)."""

    base: int = 18400
    redis: int = 6396

    @property
    def postgres(self) -> int:
        return self.base

    @property
    def bridge(self) -> int:
        return self.base + 1

    @property
    def caddy(self) -> int:
        return self.base + 2

    @property
    def standin(self) -> int:
        return self.base + 3

    @property
    def moodle_metrics(self) -> int:
        return self.base + 4

    def grading_metrics(self, index: int) -> int:
        return self.base + 10 + index

    def all(self) -> list[int]:
        """Every port a stack of up to ten grading workers listens on."""
        return [self.redis, *range(self.base, self.base + 5), *range(self.base + 10,
                                                                     self.base + 20)]

    @classmethod
    def find_free(cls, base: int = 18400, redis: int = 6396) -> Ports:
        """The first set of ports, from `base` and `redis` on, that nothing listens on."""
        for offset in range(50):
            ports = cls(base=base + 20 * offset, redis=redis + offset)
            if all(port_free(port) for port in ports.all()):
                return ports
        raise RuntimeError(f"no free ports from {base} and {redis}")


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Tuning:
    """Settings the run passes to the services (printed with its figures)."""

    delivery_backoff_s: float = 5.0
    delivery_max_attempts: int = 12
    grading_lease_margin_s: float = 60.0
    moodle_timeout_s: float = 10.0

    def env(self) -> dict[str, str]:
        return {"DELIVERY_BACKOFF_S": str(self.delivery_backoff_s),
                "DELIVERY_MAX_ATTEMPTS": str(self.delivery_max_attempts),
                "GRADING_LEASE_MARGIN_S": str(self.grading_lease_margin_s),
                "MOODLE_TIMEOUT_S": str(self.moodle_timeout_s)}


@dataclass
class Stack:
    folder: Path
    ports: Ports = field(default_factory=Ports)
    tuning: Tuning = field(default_factory=Tuning)
    grading_workers: int = 2
    # Grading workers on a "second host": a network namespace that reaches PostgreSQL, Redis
    # and the engine only over a veth link.
    remote_workers: int = 0
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    api_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    redis_password: str = field(default_factory=lambda: secrets.token_hex(16))
    services: dict[str, Service] = field(default_factory=dict)
    postgres: Postgres | None = None
    host: WorkerHost | None = None

    @property
    def broker_url(self) -> str:
        return f"redis://:{self.redis_password}@127.0.0.1:{self.ports.redis}/0"

    @property
    def bridge_url(self) -> str:
        """The public URL: Caddy in front of the bridge."""
        return f"http://127.0.0.1:{self.ports.caddy}"

    @property
    def standin_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.standin}"

    def core_env(self) -> dict[str, str]:
        """What every bridge process reads: database, broker, logging, the run's tuning."""
        assert self.postgres is not None
        return {"ENVIRONMENT": "production", "DATABASE_URL": self.postgres.url,
                "BROKER_URL": self.broker_url, "LOG_FORMAT": "json",
                **self.tuning.env()}

    def secret_env(self) -> dict[str, str]:
        """What only the bridge and the Moodle worker hold."""
        return {"BRIDGE_API_KEY": self.api_key, "BRIDGE_SECRET_KEY": secrets.token_urlsafe(32),
                "PUBLIC_URL": self.bridge_url, "FORWARDED_ALLOW_IPS": "127.0.0.1",
                "MOODLE_SITES": json.dumps({SITE: {"url": self.standin_url, "token": self.token,
                                                   "webhook_secret": self.webhook_secret}})}

    # -- the services ------------------------------------------------------------------------

    def start(self) -> Stack:
        """Start everything, in dependency order, each ready before the next."""
        self.folder.mkdir(parents=True, exist_ok=True)
        taken = [port for port in self.ports.all() if not port_free(port)]
        if taken:
            # A probe would otherwise find someone else's server and the run would use it.
            raise RuntimeError(f"ports in use already: {taken} (choose --port-base/--redis-port)")
        listen = ["127.0.0.1"]
        if self.remote_workers:
            self.host = WorkerHost(f"e2e{self.ports.base}", self.ports.base % 250).create()
            listen.append(self.host.host_addr)
        self.postgres = Postgres(self.folder / "postgres", self.ports.postgres,
                                 listen=",".join(listen),
                                 trusted_network=f"{self.host.ns_addr}/32" if self.host else None
                                 ).start()
        base = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
        self._add("redis", ["redis-server", "--bind", *listen, "--port",
                            str(self.ports.redis), "--dir", str(self.folder),
                            "--appendonly", "yes", "--save", "",
                            "--requirepass", self.redis_password], base,
                  ready=lambda: b"PONG" in _redis_ping(self.ports.redis, self.redis_password))
        self._add("standin", [sys.executable, "-m", "tests.fakes.server", "--port",
                              str(self.ports.standin)],
                  base | {"MOODLE_SITE_ID": SITE, "MOODLE_WS_TOKEN": self.token,
                          "MOODLE_WEBHOOK_SECRET": self.webhook_secret,
                          "STANDIN_PUBLIC_URL": self.standin_url},
                  ready=http_ok(f"{self.standin_url}/_standin/health"))
        bridge_env = base | self.core_env() | self.secret_env()
        self._add("bridge", [str(BIN / "bridge"), "serve", "--host", "127.0.0.1", "--port",
                             str(self.ports.bridge), "--no-access-log"], bridge_env,
                  ready=http_ok(f"http://127.0.0.1:{self.ports.bridge}/health/ready"))
        caddyfile = self.folder / "Caddyfile"
        caddyfile.write_text(
            "{\n\tadmin off\n\tauto_https off\n}\n"
            f"http://127.0.0.1:{self.ports.caddy} {{\n"
            f"\treverse_proxy 127.0.0.1:{self.ports.bridge}\n}}\n")
        self._add("caddy", ["caddy", "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
                  base | {"XDG_DATA_HOME": str(self.folder / "caddy"),
                          "XDG_CONFIG_HOME": str(self.folder / "caddy")},
                  ready=http_ok(f"{self.bridge_url}/health/live"))
        for index in range(self.grading_workers):
            self.add_grading_worker(index)
        if self.host is not None:
            self._start_remote_workers(self.host)
        self._add("moodle", self._worker_argv("moodle", "moodle@%h", 2),
                  bridge_env | self._metrics_env("moodle", self.ports.moodle_metrics),
                  ready=self._celery_ready("moodle"))
        self._add("beat", [str(BIN / "celery"), "-A", "bridge.worker.app", "beat", "--schedule",
                           str(self.folder / "beat-schedule"), "--loglevel", "INFO"],
                  bridge_env, ready=None)
        return self

    def add_grading_worker(self, index: int, env: dict[str, str] | None = None,
                           prefix: list[str] | None = None) -> Service:
        """Start grading worker `index` (one task at a time, no secret in its environment)."""
        name = f"grading-{index}"
        worker_env = grading_env(**self.core_env()) if env is None else env
        worker_env = {k: v for k, v in worker_env.items() if not k.startswith("TEST_")}
        return self._add(name, [*(prefix or []),
                                *self._worker_argv("grading", f"{name}@%h", 1)],
                         worker_env | self._metrics_env(name, self.ports.grading_metrics(index)),
                         ready=self._celery_ready(name))

    def _start_remote_workers(self, host: WorkerHost) -> None:
        assert self.postgres is not None
        remote = {"DATABASE_URL": self.postgres.url.replace("127.0.0.1", host.host_addr),
                  "BROKER_URL": self.broker_url.replace("127.0.0.1", host.host_addr),
                  "DOCKER_HOST": host.forward_docker(self.ports.base + 5)}
        for offset in range(self.remote_workers):
            self.add_grading_worker(self.grading_workers + offset,
                                    env=grading_env(**(self.core_env() | remote)),
                                    prefix=host.prefix())

    def _worker_argv(self, queue: str, hostname: str, concurrency: int) -> list[str]:
        return [str(BIN / "celery"), "-A", "bridge.worker.app", "worker", "-Q", queue,
                "--concurrency", str(concurrency), "--hostname", hostname, "--without-gossip",
                "--without-mingle", "--loglevel", "INFO"]

    def _metrics_env(self, name: str, port: int) -> dict[str, str]:
        folder = self.folder / "metrics" / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return {"PROMETHEUS_MULTIPROC_DIR": str(folder), "WORKER_METRICS_PORT": str(port)}

    def _celery_ready(self, name: str) -> Any:
        def ready() -> bool:
            service = self.services[name]
            return service.log.exists() and "ready." in service.log.read_text(errors="replace")
        return ready

    def _add(self, name: str, argv: list[str], env: dict[str, str], ready: Any) -> Service:
        log = self.folder / f"{name}.log"
        service = Service(name, argv, env, log, ready=ready)
        self.services[name] = service
        return service.start(timeout=120)

    def restart(self, name: str) -> None:
        """Start `name` again after it was stopped or killed (its readiness awaited)."""
        service = self.services[name]
        if name == "redis":
            wait_port_free(self.ports.redis)
        if name == "bridge":
            wait_port_free(self.ports.bridge)
        # A restarted worker's readiness is its new "ready." line, not the old one.
        service.log.rename(service.log.with_suffix(f".{service.starts}.log"))
        service.start(timeout=120)

    def revive(self) -> list[str]:
        """Start again what died by itself, as compose's `restart: unless-stopped` does.

        A Celery worker can die of a library error when the broker goes away (kombu closing
        a channel whose connection was already released: "'NoneType' object has no attribute
        'hostname'"); production has a restart policy for that, so the harness plays it.
        Returns what it restarted, with the exit status, for the run's report.
        """
        revived = []
        for name, service in self.services.items():
            status = service.exited_by_itself()
            if status is None:
                continue
            revived.append(f"{name} (exit {status})")
            self.restart(name)
        return revived

    def stop(self) -> None:
        """Stop everything (warm), PostgreSQL last."""
        for name in reversed(list(self.services)):
            self.services[name].stop()
        if self.postgres is not None:
            self.postgres.stop()
        if self.host is not None:
            self.host.remove()

    # -- talking to it -----------------------------------------------------------------------

    def control(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        """A call of the stand-in's control API."""
        url = f"{self.standin_url}/_standin{path}"
        answer = httpx.post(url, json=payload, timeout=30) if payload is not None \
            else httpx.get(url, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def metrics(self) -> dict[str, str]:
        """The /metrics text of the bridge (through Caddy) and of every worker."""
        texts = {}
        for name, url in [("bridge", f"{self.bridge_url}/metrics"),
                          ("moodle", f"http://127.0.0.1:{self.ports.moodle_metrics}/metrics"),
                          *[(f"grading-{i}", self._grading_metrics_url(i))
                            for i in range(self.grading_workers + self.remote_workers)]]:
            try:
                texts[name] = httpx.get(url, timeout=5,
                                        headers={"X-API-Key": self.api_key}).text
            except httpx.HTTPError as exc:
                texts[name] = f"# unreachable: {exc}"
        return texts


    def _grading_metrics_url(self, index: int) -> str:
        remote = self.host is not None and index >= self.grading_workers
        address = self.host.ns_addr if remote and self.host else "127.0.0.1"
        return f"http://{address}:{self.ports.grading_metrics(index)}/metrics"


def _redis_ping(port: int, password: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
        time.sleep(0.05)
        return sock.recv(64)
