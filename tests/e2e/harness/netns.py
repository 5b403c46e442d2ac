"""A second worker host on this machine: a network namespace joined to this one by a veth pair.

The namespace has its own loopback and sees only the link: a worker inside it reaches
PostgreSQL, Redis and the Docker engine at the host side's address, as a worker host reaches
the main host over a private network. The engine listens on a unix socket only, so the harness
forwards one TCP port on the link's host address to it (plain TCP on a link private to this
machine; a real second host uses the engine's TLS port with client certificates).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from pathlib import Path

DOCKER_SOCKET = Path("/var/run/docker.sock")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


class WorkerHost:
    """Namespace `name` with address 10.241.`subnet`.2, the host side .1 (a /30)."""

    def __init__(self, name: str, subnet: int) -> None:
        self.name, self.subnet = name, subnet
        self.host_addr = f"10.241.{subnet}.1"
        self.ns_addr = f"10.241.{subnet}.2"
        self.outer, self.inner = f"{name}-o", f"{name}-i"
        self._forwarder: socket.socket | None = None

    def create(self) -> WorkerHost:
        """The namespace, the veth pair, addresses and links up."""
        self.remove()
        _ip("netns", "add", self.name)
        _ip("link", "add", self.outer, "type", "veth", "peer", "name", self.inner)
        _ip("link", "set", self.inner, "netns", self.name)
        _ip("addr", "add", f"{self.host_addr}/30", "dev", self.outer)
        _ip("link", "set", self.outer, "up")
        _ip("-n", self.name, "addr", "add", f"{self.ns_addr}/30", "dev", self.inner)
        _ip("-n", self.name, "link", "set", self.inner, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")
        return self

    def remove(self) -> None:
        """Delete what create() made (the veth pair goes with its host-side end)."""
        if self._forwarder is not None:
            self._forwarder.close()
            self._forwarder = None
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)

    def prefix(self) -> list[str]:
        """The command prefix that runs a program inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def forward_docker(self, port: int) -> str:
        """Serve the engine's unix socket on host_addr:`port`; its DOCKER_HOST value."""
        listener = socket.create_server((self.host_addr, port))
        self._forwarder = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return f"tcp://{self.host_addr}:{port}"

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            engine = socket.socket(socket.AF_UNIX)
            try:
                engine.connect(str(DOCKER_SOCKET))
            except OSError:
                client.close()
                continue
            for source, target in ((client, engine), (engine, client)):
                threading.Thread(target=_pipe, args=(source, target), daemon=True).start()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        # Half-close: the other direction may still carry an attached stream's output.
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
        with contextlib.suppress(OSError):
            source.shutdown(socket.SHUT_RD)
