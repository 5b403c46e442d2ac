"""Client addresses behind a reverse proxy: X-Forwarded-* believed from trusted proxies only.

The per-address sign-in limit keys on the client's address. Were X-Forwarded-For taken from
anyone, a client could name a new address on every request and never be throttled. The
trusted proxies are addresses, networks (CIDR) or host names: names are looked up again at
most every RESOLVE_EVERY_S, because a proxy container (Caddy in compose.yaml) may start after
the bridge and may come back with another address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import Any

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_EVERY_S = 30.0


class TrustedProxies:
    """The peers whose X-Forwarded-For and X-Forwarded-Proto are believed; none by default."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.networks: list[Network] = []
        self.names: list[str] = []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.names.append(entry)
        self._resolved: set[Address] = set()
        self._resolved_at = -RESOLVE_EVERY_S

    @classmethod
    def parse(cls, value: str) -> TrustedProxies:
        """From a comma-separated list, as in FORWARDED_ALLOW_IPS."""
        return cls(value.split(","))

    def __bool__(self) -> bool:
        return bool(self.networks or self.names)

    def trusts(self, host: str | None) -> bool:
        """Whether the peer at `host` is a trusted proxy."""
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        if any(address in network for network in self.networks):
            return True
        return bool(self.names) and address in self._names_resolved()

    def _names_resolved(self) -> set[Address]:
        if time.monotonic() - self._resolved_at >= RESOLVE_EVERY_S:
            found: set[Address] = set()
            for name in self.names:
                try:
                    infos = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
                except OSError:
                    continue  # not up yet: trust nobody for it rather than fail
                found.update(ipaddress.ip_address(info[4][0]) for info in infos)
            self._resolved, self._resolved_at = found, time.monotonic()
        return self._resolved


class ForwardedHeadersMiddleware:
    """ASGI middleware: from a trusted proxy, the client is the last X-Forwarded-For entry.

    The last entry is the one the proxy itself added (Caddy replaces what the client sent);
    anything before it is the client's own claim.
    """

    def __init__(self, app: Any, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Rewrite the scope's client and scheme for requests a trusted proxy forwarded."""
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and self.trusted.trusts(client[0]):
            headers = dict(scope["headers"])
            forwarded_for = headers.get(b"x-forwarded-for", b"").decode("latin-1")
            last = forwarded_for.rsplit(",", 1)[-1].strip()
            with contextlib.suppress(ValueError):  # no usable address: keep the proxy's own
                scope["client"] = (str(ipaddress.ip_address(last)), 0)
            proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
        await self.app(scope, receive, send)
