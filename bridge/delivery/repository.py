"""SQL for the delivery outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select

from bridge.delivery.models import OPEN_STATES, Delivery, DeliveryState
from bridge.intake.models import IntakeItem
from bridge.repository import Repository


class DeliveryRepository(Repository[Delivery]):
    model = Delivery

    def for_round(self, submission_id: uuid.UUID, grading_round: int) -> Delivery | None:
        statement = select(Delivery).where(Delivery.submission_id == submission_id,
                                           Delivery.grading_round == grading_round)
        return self.session.scalars(statement).first()

    def last_delivered(self, item_id: uuid.UUID) -> Delivery | None:
        """The grade we last pushed for this item, to spot a teacher's change since."""
        statement = (select(Delivery)
                     .where(Delivery.item_id == item_id,
                            Delivery.state == DeliveryState.DELIVERED)
                     .order_by(Delivery.delivered_at.desc()).limit(1))
        return self.session.scalars(statement).first()

    def latest_for_item(self, item_id: uuid.UUID) -> Delivery | None:
        statement = (select(Delivery).where(Delivery.item_id == item_id)
                     .order_by(Delivery.created_at.desc()).limit(1))
        return self.session.scalars(statement).first()

    def newer_attempt_exists(self, item: IntakeItem) -> bool:
        statement = select(func.count()).select_from(IntakeItem).where(
            IntakeItem.site == item.site, IntakeItem.kind == item.kind,
            IntakeItem.instance_id == item.instance_id, IntakeItem.user_id == item.user_id,
            IntakeItem.attempt_number > item.attempt_number)
        return bool(self.session.scalar(statement))

    def list_deliveries(self, *, state: DeliveryState | None = None, site: str | None = None,
             limit: int = 100) -> list[tuple[Delivery, IntakeItem]]:
        statement = select(Delivery, IntakeItem).join(IntakeItem,
                                                      IntakeItem.id == Delivery.item_id)
        if state is not None:
            statement = statement.where(Delivery.state == state)
        if site is not None:
            statement = statement.where(IntakeItem.site == site)
        statement = statement.order_by(Delivery.created_at.desc()).limit(limit)
        return [(d, i) for d, i in self.session.execute(statement)]

    def due(self, now: datetime, limit: int = 200) -> list[uuid.UUID]:
        """Open deliveries whose next try is due (their job was lost or is late)."""
        statement = (select(Delivery.id)
                     .where(Delivery.state.in_(OPEN_STATES),
                            or_(Delivery.next_attempt_at.is_(None),
                                Delivery.next_attempt_at <= now))
                     .limit(limit))
        return list(self.session.scalars(statement))

    def waiting_on_site(self, site: str, after: datetime, limit: int) -> list[Delivery]:
        """Deliveries to `site` backing off until after `after`, the soonest first.

        Locked for the caller's transaction; rows another transaction holds are skipped.
        """
        statement = (select(Delivery)
                     .join(IntakeItem, IntakeItem.id == Delivery.item_id)
                     .where(Delivery.state == DeliveryState.RETRYING, IntakeItem.site == site,
                            Delivery.next_attempt_at > after)
                     .order_by(Delivery.next_attempt_at)
                     .limit(limit)
                     .with_for_update(of=Delivery, skip_locked=True))
        return list(self.session.scalars(statement))

    def count_parked(self) -> int:
        statement = select(func.count()).select_from(Delivery).where(
            Delivery.state == DeliveryState.PARKED)
        return self.session.scalar(statement) or 0
