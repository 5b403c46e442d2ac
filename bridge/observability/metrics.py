"""Bridge metrics: HTTP traffic, and gauges read at scrape time (submissions, grading queue).

Counters and histograms live in prometheus_client's default registry, where the other domain
packages register theirs too; `/metrics` exposes that registry plus the scrape-time collectors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

import redis
from prometheus_client import REGISTRY, Counter, Histogram, disable_created_metrics
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bridge.submissions.models import SubmissionStatus
from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE

log = logging.getLogger(__name__)

UNMATCHED_ROUTE = "unmatched"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Kombu keeps each priority level above 0 of a queue in a list of its own.
CELERY_QUEUES = (GRADING_QUEUE, MOODLE_QUEUE)
KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
KOMBU_PRIORITY_SEP = "\x06\x16"

# `*_created` samples double the series for no alert or dashboard that uses them.
disable_created_metrics()  # type: ignore[no-untyped-call]

HTTP_REQUESTS = Counter(
    "bridge_http_requests_total", "HTTP requests answered by the bridge.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "bridge_http_request_duration_seconds", "Time to answer an HTTP request, by route template.",
    ["method", "route"],
)


def observe_request(method: str, route: str, status: int, duration_s: float) -> None:
    """Count one answered request under its route template (never its raw path)."""
    method = method if method in HTTP_METHODS else "OTHER"
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_DURATION.labels(method=method, route=route).observe(duration_s)


class SubmissionsCollector(Collector):
    """`bridge_submissions{state}`: submissions per state, counted when Prometheus scrapes."""

    def __init__(self, count_by_status: Callable[[], dict[str, int]]) -> None:
        self.count_by_status = count_by_status

    def collect(self) -> Iterator[Metric]:
        try:
            counts = self.count_by_status()
        except Exception as exc:
            # The scrape still succeeds with the other metrics; readiness reports the database.
            log.warning("cannot count submissions for /metrics: %s", type(exc).__name__)
            return
        family = GaugeMetricFamily("bridge_submissions", "Submissions per grading state.",
                                   labels=["state"])
        for state in SubmissionStatus:
            family.add_metric([state.value], counts.get(state.value, 0))
        yield family


@lru_cache(maxsize=4)
def _broker_client(url: str, timeout_s: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)


def queue_lengths(broker_url: str, queues: Iterable[str] = CELERY_QUEUES,
                  timeout_s: float = 1.0) -> dict[str, int]:
    """Messages waiting in each Celery queue on a Redis broker (all priority levels)."""
    client = _broker_client(broker_url, timeout_s)
    names = list(queues)
    pipe = client.pipeline(transaction=False)
    for queue in names:
        for priority in KOMBU_PRIORITY_STEPS:
            pipe.llen(queue if priority == 0 else f"{queue}{KOMBU_PRIORITY_SEP}{priority}")
    lengths = pipe.execute()
    steps = len(KOMBU_PRIORITY_STEPS)
    return {queue: sum(lengths[i * steps:(i + 1) * steps]) for i, queue in enumerate(names)}


class QueueLengthCollector(Collector):
    """`grader_queue_length{queue}`: Redis LLEN of the Celery queues (absent on other brokers).

    Exposed by the bridge, not the workers: one series per queue however many workers run,
    and it is still there when every worker is down.
    """

    def __init__(self, broker_url: str, timeout_s: float = 1.0) -> None:
        self.broker_url = broker_url
        self.timeout_s = timeout_s

    def collect(self) -> Iterator[Metric]:
        if not self.broker_url.startswith(("redis://", "rediss://", "unix://")):
            return
        try:
            lengths = queue_lengths(self.broker_url, timeout_s=self.timeout_s)
        except redis.RedisError as exc:
            log.warning("cannot read the queue length for /metrics: %s", type(exc).__name__)
            return
        family = GaugeMetricFamily("grader_queue_length", "Grading jobs waiting in the broker.",
                                   labels=["queue"])
        for queue, length in lengths.items():
            family.add_metric([queue], length)
        yield family


class _Scrape:
    """The default registry plus per-scrape collectors, as one registry-like object."""

    def __init__(self, *collectors: Collector) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()
        for collector in self.collectors:
            yield from collector.collect()


def render(accept: str | None, *collectors: Collector) -> tuple[bytes, str]:
    """The exposition (text or OpenMetrics, as `accept` asks) and its content type."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(_Scrape(*collectors)), content_type
