"""The real services of one harness run, each its own process, and what a fault does to them.

PostgreSQL runs as a cluster of the harness's own (initdb in a temporary folder, its own port),
so restarting it never touches a server anyone else uses; Redis is a redis-server of its own.
Every process starts in a session of its own, so a kill reaches its pool children too, and a
sampler keeps the peak resident memory of each session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx

from tests.support import REPO, wait_until

# Debian's layout; the newest installed major version, as .ci/services.sh picks it.
PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name),
             default=Path("/usr/lib/postgresql/15/bin"))
PAGE = os.sysconf("SC_PAGE_SIZE")


def session_pids(sid: int) -> list[int]:
    """The live processes of session `sid` (a service and its pool children)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def rss_bytes(pids: Sequence[int]) -> int:
    """Summed resident memory of `pids`."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


class Service:
    """One long-running process: started, killed, restarted; its log in `log`."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str], log: Path,
                 ready: Callable[[], bool] | None = None, cwd: Path = REPO) -> None:
        self.name, self.argv, self.env, self.log = name, list(argv), dict(env), log
        self.ready, self.cwd = ready, cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss = 0
        self.starts = 0
        self.stopping = False  # the harness itself is stopping it (a fault, the end of a run)

    def start(self, timeout: float = 60) -> Service:
        """Start the process and wait until it is ready."""
        self.stopping = False
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        if self.ready is not None:
            wait_until(lambda: self._check_ready(), timeout=timeout, interval=0.2,
                       what=lambda: f"{self.name} to start\n{self.tail()}")
        return self

    def _check_ready(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}\n"
                                 f"{self.tail()}")
        assert self.ready is not None
        try:
            return self.ready()
        except (httpx.HTTPError, OSError, subprocess.SubprocessError):
            return False

    def pids(self) -> list[int]:
        """Its processes now (empty when it is not running)."""
        return session_pids(self.process.pid) if self.process else []

    def sample(self) -> None:
        """Record the resident memory of its session if it is a new peak."""
        self.peak_rss = max(self.peak_rss, rss_bytes(self.pids()))

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Send `sig` to the whole session and reap the main process."""
        if self.process is None:
            return
        self.stopping = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        # Pool children of a killed worker may linger a moment: wait for the session to empty.
        wait_until(lambda: not self.pids() or None, timeout=30, interval=0.1,
                   what=f"{self.name}'s processes to exit")
        self.process = None

    def exited_by_itself(self) -> int | None:
        """Its exit status if it died without the harness stopping it, else None."""
        process = self.process
        if process is None or self.stopping:
            return None
        return process.poll()

    def stop(self) -> None:
        """A warm stop: SIGTERM, SIGKILL after a minute."""
        self.kill(signal.SIGTERM)

    def tail(self, chars: int = 3000) -> str:
        """The end of its log."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class Postgres:
    """A PostgreSQL cluster of the harness's own, in `folder`, on 127.0.0.1:`port`."""

    def __init__(self, folder: Path, port: int, listen: str = "127.0.0.1",
                 trusted_network: str | None = None) -> None:
        self.folder, self.port, self.listen = folder, port, listen
        self.trusted_network = trusted_network
        self.data = folder / "pgdata"
        self.log = folder / "postgres.log"
        self.peak_rss = 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres:postgres@127.0.0.1:{self.port}/bridge"

    def _as_owner(self, *argv: str) -> list[str]:
        # initdb refuses to run as root; the cluster belongs to the postgres account then.
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)

    def _pg_ctl(self, *args: str) -> None:
        options = (f"-p {self.port} -c listen_addresses='{self.listen}' -k {self.folder} "
                   "-c max_connections=300 -c shared_buffers=64MB")
        subprocess.run(self._as_owner(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                                      str(self.log), "-w", "-t", "60", "-o", options, *args),
                       check=True, stdout=subprocess.DEVNULL)

    def start(self) -> Postgres:
        """initdb (once), start, and create the `bridge` database."""
        if not self.data.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                # The postgres account must reach its folder inside the run's private one.
                self.folder.parent.chmod(0o711)
                shutil.chown(self.folder, "postgres", "postgres")
            subprocess.run(self._as_owner(str(PG_BIN / "initdb"), "-D", str(self.data),
                                          "-U", "postgres", "-A", "trust", "--no-sync"),
                           check=True, stdout=subprocess.DEVNULL)
            if self.trusted_network:
                with open(self.data / "pg_hba.conf", "a") as hba:
                    hba.write(f"host all all {self.trusted_network} trust\n")
            self._pg_ctl("start")
            subprocess.run(self._as_owner(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p",
                                          str(self.port), "-U", "postgres", "bridge"),
                           check=True)
        else:
            self._pg_ctl("start")
        return self

    def restart(self) -> None:
        """A fast restart: every connection is cut."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        """Stop the cluster (its files stay until the folder is removed)."""
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "fast")

    def sample(self) -> None:
        """Peak memory of the postmaster's session."""
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        self.peak_rss = max(self.peak_rss, rss_bytes(session_pids(os.getsid(pid))))


class Sampler:
    """Samples the memory of services every `interval` seconds in a thread of its own."""

    def __init__(self, services: Callable[[], Sequence[Service | Postgres]],
                 interval: float = 0.5) -> None:
        self.services, self.interval = services, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            for service in self.services():
                try:
                    service.sample()
                except (OSError, ProcessLookupError):
                    continue

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness probe: `url` answers 2xx."""
    return lambda: httpx.get(url, timeout=2).is_success


def wait_port_free(port: int, timeout: float = 30) -> None:
    """Wait until nothing listens on 127.0.0.1:`port` (a restarted server can bind again)."""
    import socket

    def free() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) != 0

    wait_until(free, timeout=timeout, interval=0.1, what=f"port {port} to be free")
    time.sleep(0.1)
