"""A database whose commits are real, for tests that look from a second connection or thread.

The shared fixtures roll every test back inside one connection, so nothing they write is ever
visible elsewhere; these fixtures give a migrated database of the module's own, emptied after
each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import make_engine
from bridge.migrate import upgrade
from tests.conftest import TEST_DATABASE_URL, recreate_database

Fingerprint = dict[str, str]


def tables(engine: Engine) -> list[str]:
    """The application's tables (not Alembic's)."""
    with engine.connect() as connection:
        return list(connection.scalars(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' ORDER BY tablename")))


def fingerprint(engine: Engine) -> Fingerprint:
    """A digest of every row of every table, read on a connection of its own."""
    with engine.connect() as connection:
        return {table: connection.scalar(sa.text(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
            f'FROM "{table}" t')) for table in tables(engine)}


@pytest.fixture(scope="module")
def committed_engine() -> Iterator[Engine]:
    """A migrated database of this module's own, whose commits are real."""
    url = make_url(TEST_DATABASE_URL)
    url = url.set(database=f"{url.database}_commits")
    rendered = url.render_as_string(hide_password=False)
    recreate_database(rendered)
    upgrade(rendered)
    engine = make_engine(rendered)
    yield engine
    engine.dispose()


@pytest.fixture
def committed_factory(committed_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on the committing database; every table is emptied after the test."""
    yield sessionmaker(bind=committed_engine, expire_on_commit=False)
    names = ", ".join(f'"{t}"' for t in tables(committed_engine))
    with committed_engine.begin() as connection:
        connection.execute(sa.text(f"TRUNCATE {names} CASCADE"))
