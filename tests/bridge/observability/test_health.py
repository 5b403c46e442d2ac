"""Liveness and readiness, against the real PostgreSQL, Redis and Docker engine."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bridge.config import Settings, get_settings
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL

UNREACHABLE_DB = "postgresql+psycopg://postgres:postgres@127.0.0.1:1/bridge_test"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def use_settings(client: TestClient, **overrides: object) -> None:
    values: dict[str, object] = {"database_url": TEST_DATABASE_URL, "broker_url": TEST_REDIS_URL,
                                 "health_check_timeout_s": 1.0, **overrides}
    settings = Settings(**values)  # type: ignore[arg-type]
    client.app.dependency_overrides[get_settings] = lambda: settings  # type: ignore[attr-defined]


def test_liveness(client: TestClient) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_when_every_dependency_answers(client: TestClient) -> None:
    use_settings(client, readiness_checks_docker=True)

    response = client.get("/health/ready")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "docker"}
    assert all(check["ok"] for check in body["checks"].values())


def test_unreachable_database_is_named(client: TestClient) -> None:
    use_settings(client, database_url=UNREACHABLE_DB)

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database"]
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["redis"]["ok"] is True
    assert "127.0.0.1" not in response.text  # what failed, not the connection details


def test_unreachable_redis_is_named(client: TestClient) -> None:
    use_settings(client, broker_url=UNREACHABLE_REDIS)

    response = client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["failed"] == ["redis"]


def test_filesystem_broker_needs_no_redis(client: TestClient) -> None:
    use_settings(client, broker_url="filesystem://")

    body = client.get("/health/ready").json()

    assert set(body["checks"]) == {"database"}
