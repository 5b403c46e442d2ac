"""What every repository repeats: a session, and a model to get, lock and add by id."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import CursorResult, Executable, inspect, select
from sqlalchemy.orm import Session

from bridge.db import Base

M = TypeVar("M", bound=Base)


class Repository(Generic[M]):
    """SQL for one model: subclasses add the queries of their domain.

    All SQL lives in repositories; services and endpoints call these methods, never the
    session's query API.
    """

    model: ClassVar[type[Any]]

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, id_: Any) -> M | None:
        """The row with this primary key, or None."""
        found: M | None = self.session.get(self.model, id_)
        return found

    def get_for_update(self, id_: Any) -> M | None:
        """The row with this primary key, locked until the transaction ends (FOR UPDATE)."""
        [key] = inspect(self.model).primary_key
        statement = select(self.model).where(key == id_).with_for_update()
        found: M | None = self.session.scalars(statement).first()
        return found

    def add(self, row: M) -> M:
        """Insert a row and flush, so its defaults (id, times) are set."""
        self.session.add(row)
        self.session.flush()
        return row

    def changed(self, statement: Executable) -> int:
        """Run an UPDATE or DELETE and say how many rows it changed."""
        result = cast(CursorResult[Any], self.session.execute(statement))
        return result.rowcount
