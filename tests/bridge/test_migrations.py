"""The migration history has one head, and the test database is at it."""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bridge.migrate import alembic_config


def test_there_is_one_head() -> None:
    """Two heads mean two migrations written in parallel: join them with a merge revision."""
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_the_migrated_database_is_at_the_head(engine: Engine) -> None:
    [head] = ScriptDirectory.from_config(alembic_config()).get_heads()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == (head,)
