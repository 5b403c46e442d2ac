"""SQL for the grade history: inserts and reads only (there is no update or delete here)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bridge.history.models import GradeHistory
from bridge.repository import Repository


class HistoryRepository(Repository[GradeHistory]):
    model = GradeHistory

    def append(self, row: GradeHistory) -> GradeHistory:
        """Insert with the session's next flush (a regrade appends hundreds at once)."""
        self.session.add(row)
        return row

    def for_item(self, item_id: uuid.UUID, limit: int) -> list[GradeHistory]:
        """An item's events, oldest first."""
        statement = (select(GradeHistory).where(GradeHistory.item_id == item_id)
                     .order_by(GradeHistory.created_at, GradeHistory.id).limit(limit))
        return list(self.session.scalars(statement))

    def for_submission(self, submission_id: uuid.UUID, limit: int) -> list[GradeHistory]:
        """A bridge submission's events, oldest first."""
        statement = (select(GradeHistory).where(GradeHistory.submission_id == submission_id)
                     .order_by(GradeHistory.created_at, GradeHistory.id).limit(limit))
        return list(self.session.scalars(statement))

    def for_user(self, site: str, user_id: int, *, cmid: int | None = None,
                 item_ids: list[uuid.UUID] | None = None, limit: int) -> list[GradeHistory]:
        """A Moodle user's events on a site, optionally one activity or some items."""
        statement = select(GradeHistory).where(GradeHistory.site == site,
                                               GradeHistory.user_id == user_id)
        if cmid is not None:
            statement = statement.where(GradeHistory.cmid == cmid)
        if item_ids is not None:
            statement = statement.where(GradeHistory.item_id.in_(item_ids))
        statement = statement.order_by(GradeHistory.created_at, GradeHistory.id).limit(limit)
        return list(self.session.scalars(statement))
