"""A guard for kombu's Redis transport: a released connection's channel fails as a lost
connection, not with an AttributeError that stops the worker.

When Redis goes away under a consuming worker, Celery 5.7 first `collect()`s the broken
connection, which detaches the transport from it, and then closes it. If the first close of
the channel failed early (its pending BRPOP read raised, Redis being gone), the second one
reaches `restore_unacked`, which builds a new connection pool from the detached transport's
`client`: None. kombu 5.7.0 raises AttributeError there (`'NoneType' object has no attribute
'hostname'`, the trace of celery/kombu#582); Celery's `ignore_errors` only swallows
connection errors, so the consumer dies with "Unrecoverable error" instead of reconnecting.
`make e2e`'s Redis restart killed the Moodle worker this way (issue 14).

Installed, the channel raises the transport's own connection error instead: Celery ignores
it and reconnects. The messages the channel could not restore stay in Redis's unacked set;
kombu restores them after the visibility timeout, and the bridge's sweeps re-send the work
their rows still call queued long before that. Drop this module once kombu checks for a
released transport itself.
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis

_GUARDED = "_moodle_bridge_guarded"


def install() -> None:
    """Patch kombu's Redis channel once per process (idempotent)."""
    channel = kombu_redis.Channel
    if getattr(channel, _GUARDED, False):
        return
    original: Any = channel._connparams

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was already released")
        return original(self, asynchronous=asynchronous)

    setattr(channel, "_connparams", _connparams)  # noqa: B010  (mypy refuses a method assign)
    setattr(channel, _GUARDED, True)
