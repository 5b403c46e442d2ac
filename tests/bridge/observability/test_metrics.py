"""`/metrics` on the bridge: HTTP traffic by route template, submissions, queue length."""

from __future__ import annotations

import uuid

import redis
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, Counter
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

from bridge.exercises.models import Exercise, ExerciseVersion
from bridge.submissions.models import Submission, SubmissionStatus


def scrape(client: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_under_their_route_template(client: TestClient) -> None:
    route = "/api/v1/submissions/{submission_id}"
    before = scrape(client)
    missing = uuid.uuid4()

    assert client.get(f"/api/v1/submissions/{missing}").status_code == 404
    assert client.get("/no/such/page").status_code == 404

    after = scrape(client)
    assert value(after, "bridge_http_requests_total", method="GET", route=route, status="404") \
        == value(before, "bridge_http_requests_total", method="GET", route=route, status="404") + 1
    assert value(after, "bridge_http_request_duration_seconds_count", method="GET", route=route) \
        == value(before, "bridge_http_request_duration_seconds_count", method="GET",
                 route=route) + 1
    assert value(after, "bridge_http_requests_total", method="GET", route="unmatched",
                 status="404") >= 1
    # Never the raw path: one series per route, whatever ids are requested.
    assert str(missing) not in client.get("/metrics").text
    # Scrapes and probes are not traffic.
    assert not any(dict(labels).get("route") in ("/metrics", "/health/ready")
                   for name, labels in after if name == "bridge_http_requests_total")


def test_submissions_per_state_are_read_from_the_database(client: TestClient,
                                                          session: Session) -> None:
    exercise = Exercise(name="obs", latest_version=1)
    session.add(exercise)
    session.flush()
    version = ExerciseVersion(exercise_id=exercise.id, number=1, language="python", spec={})
    session.add(version)
    session.flush()
    before = scrape(client)
    session.add_all([
        Submission(exercise_version_id=version.id, status=SubmissionStatus.QUEUED),
        Submission(exercise_version_id=version.id, status=SubmissionStatus.QUEUED),
        Submission(exercise_version_id=version.id, status=SubmissionStatus.FAILED),
    ])
    session.commit()

    after = scrape(client)
    for state in SubmissionStatus:
        assert ("bridge_submissions", frozenset({("state", state.value)})) in after
    assert value(after, "bridge_submissions", state="queued") \
        == value(before, "bridge_submissions", state="queued") + 2
    assert value(after, "bridge_submissions", state="failed") \
        == value(before, "bridge_submissions", state="failed") + 1


def test_queue_length_counts_every_priority_list(client: TestClient,
                                                 redis_client: redis.Redis) -> None:
    redis_client.rpush("grading", b"job-1", b"job-2")
    redis_client.rpush("grading\x06\x163", b"job-3")

    assert value(scrape(client), "grader_queue_length", queue="grading") == 3


def test_the_default_registry_is_exposed(client: TestClient) -> None:
    counter = Counter("bridge_observability_test_total", "Registered by another package.")
    try:
        counter.inc(2)
        assert value(scrape(client), "bridge_observability_test_total") == 2
    finally:
        REGISTRY.unregister(counter)


def test_openmetrics_when_asked(client: TestClient) -> None:
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")
