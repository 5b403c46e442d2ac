"""Shared fixtures: a real, migrated PostgreSQL rolled back per test, Redis, Docker.

The services come from `make test` (.ci/services.sh); nothing here fakes them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

TEST_DATABASE_URL = os.environ.setdefault(
    "TEST_DATABASE_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/bridge_test"
)
TEST_REDIS_URL = os.environ.setdefault("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Settings are read once per process: point them at the test services before any import.
os.environ["ENVIRONMENT"] = "test"
os.environ["DATABASE_URL"] = TEST_DATABASE_URL
os.environ["BROKER_URL"] = TEST_REDIS_URL
os.environ["BRIDGE_API_KEY"] = "test-api-key-0123456789abcdef"

import redis  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from bridge.db import make_engine, session_scope  # noqa: E402
from bridge.migrate import upgrade  # noqa: E402
from grader.config import GraderSettings  # noqa: E402
from grader.sandbox.docker import DockerSandbox  # noqa: E402

API_KEY = os.environ["BRIDGE_API_KEY"]
# The Moodle stand-in's fixtures (fake_moodle, moodle_site), for every suite.
pytest_plugins = ["tests.fakes.fixtures"]


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url` on its server."""
    parsed = make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    recreate_database(TEST_DATABASE_URL)
    upgrade(TEST_DATABASE_URL)
    engine = make_engine(TEST_DATABASE_URL)
    yield engine
    engine.dispose()


@pytest.fixture
def db_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions inside one outer transaction that is rolled back after the test.

    Code under test may commit: with savepoints, its commits never reach the database.
    """
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)
    yield factory
    outer.rollback()
    connection.close()


@pytest.fixture
def session(db_factory: sessionmaker[Session]) -> Iterator[Session]:
    with db_factory() as session:
        yield session


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def client(db_factory: sessionmaker[Session], redis_client: redis.Redis) -> Iterator[TestClient]:
    """The API over the rolled-back test database, with the real Redis broker."""
    from bridge.app import create_app
    from bridge.deps import get_session

    def test_session() -> Iterator[Session]:
        with session_scope(db_factory) as session:
            yield session

    app = create_app()
    app.dependency_overrides[get_session] = test_session
    with TestClient(app) as test_client:
        test_client.headers["X-API-Key"] = API_KEY
        yield test_client


@pytest.fixture(scope="session")
def sandbox() -> Iterator[DockerSandbox]:
    """One real Docker sandbox for the session; every container is gone afterwards."""
    box = DockerSandbox(GraderSettings())
    yield box
    box.close()
    assert box.containers() == []
