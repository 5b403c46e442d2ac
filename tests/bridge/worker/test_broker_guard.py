"""A worker survives Redis going away while it holds unacknowledged messages (issue 14).

`make e2e`'s Redis restart killed the Moodle worker: Celery 5.7's clean-up of a broken
connection (`collect()`, then `close()` under `ignore_errors`) reached kombu's
`restore_unacked` on a transport it had already detached, and the AttributeError that kombu
5.7.0 raises there is no connection error, so nothing ignored it. This stages that state over
real connections: two consuming channels, each holding a delivered message and a pending
BRPOP, then Redis cut away (a gate in front of the test Redis). Without the guard the close
raises AttributeError; with it, the close fails as a lost connection, which Celery ignores
before it reconnects, and the messages stay in Redis's unacked set, not lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.common import ignore_errors
from kombu.transport import redis as kombu_redis

from tests.bridge.worker.gate import Gate
from tests.conftest import TEST_REDIS_URL


@pytest.fixture
def gate(redis_client: redis.Redis) -> Iterator[Gate]:
    url = urlsplit(TEST_REDIS_URL)
    with Gate((url.hostname or "127.0.0.1", url.port or 6379)) as opened:
        opened.open()
        yield opened


def test_the_worker_app_installs_the_guard() -> None:
    import bridge.worker.app  # noqa: F401  (what every worker process imports)

    assert getattr(kombu_redis.Channel, "_moodle_bridge_guarded", False)


def test_closing_a_cut_connection_with_unacked_messages_is_a_connection_error(
        gate: Gate, redis_client: redis.Redis) -> None:
    from bridge.worker import broker_guard

    broker_guard.install()
    database = TEST_REDIS_URL.rsplit("/", 1)[1]
    connection = Connection(f"redis://127.0.0.1:{gate.port}/{database}")
    queues = [Queue(name, Exchange(name), name) for name in ("guard-a", "guard-b")]
    first = connection.default_channel
    with Producer(first) as producer:
        for queue in queues:
            producer.publish({"n": queue.name}, exchange=queue.exchange,
                             routing_key=queue.name, declare=[queue])
    second = connection.channel()
    received: list[object] = []
    for channel, queue in zip((first, second), queues, strict=True):
        Consumer(channel, [queue], callbacks=[lambda _body, message: received.append(message)],
                 ).consume()
    for _ in range(3):  # deliver both, then leave a BRPOP pending on each channel
        with contextlib.suppress(TimeoutError):
            connection.drain_events(timeout=0.5)
    assert len(received) == 2
    assert first._in_poll is not None and second._in_poll is not None

    gate.shut()  # Redis is gone: cut links, refused reconnects
    # What Celery's Consumer.on_connection_error_after_connected does, in its order.
    with contextlib.suppress(Exception):  # Celery ignores anything collect() raises
        connection.collect(socket_timeout=1)
    assert not first.closed  # what the crash needs: a channel still open, its transport gone
    ignore_errors(connection, connection.close)  # raised AttributeError before the guard

    assert redis_client.hlen("unacked") == 2  # not restored, not lost: still Redis's to redeliver
    for channel in (first, second):  # nor tried again when this process exits
        channel.qos._on_collect.cancel()
