"""SQL for what a Moodle site asks about its submissions: one latest item, recent failures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select

from bridge.delivery.models import Delivery, DeliveryState
from bridge.intake.models import IntakeItem, IntakeStatus, ItemKind
from bridge.repository import Repository
from bridge.submissions.models import Submission, SubmissionStatus

# Intake ends that mean "this submission will not be graded".
FAILED_INTAKE = (IntakeStatus.REJECTED, IntakeStatus.FAILED, IntakeStatus.NO_EXERCISE,
                 IntakeStatus.UNSUPPORTED)


class StateRepository(Repository[IntakeItem]):
    model = IntakeItem

    def latest(self, site: str, kind: ItemKind, cmid: int, user_id: int,
               attempt_number: int | None) -> IntakeItem | None:
        """A user's newest item of an activity (or of one attempt of it)."""
        statement = select(IntakeItem).where(
            IntakeItem.site == site, IntakeItem.kind == kind, IntakeItem.cmid == cmid,
            IntakeItem.user_id == user_id)
        if attempt_number is not None:
            statement = statement.where(IntakeItem.attempt_number == attempt_number)
        statement = statement.order_by(IntakeItem.attempt_number.desc(),
                                       IntakeItem.submitted_at.desc(),
                                       IntakeItem.created_at.desc()).limit(1)
        return self.session.scalars(statement).first()

    def failure_candidates(self, site: str, since: datetime, limit: int
                           ) -> list[tuple[IntakeItem, datetime]]:
        """Items of a site that failed at or after `since`, with when: intake, grading, push.

        Candidates only: the caller checks each item's current state (a parked delivery may
        have been retried and delivered since).
        """
        item_at = func.coalesce(IntakeItem.modified_at, IntakeItem.created_at)
        submission_at = func.coalesce(Submission.modified_at, Submission.created_at)
        delivery_at = func.coalesce(Delivery.modified_at, Delivery.created_at)
        statements = [
            select(IntakeItem, item_at).where(
                IntakeItem.site == site, IntakeItem.status.in_(FAILED_INTAKE),
                item_at >= since).order_by(item_at).limit(limit),
            select(IntakeItem, submission_at)
            .join(Submission, Submission.id == IntakeItem.submission_id)
            .where(IntakeItem.site == site, IntakeItem.status == IntakeStatus.FETCHED,
                   Submission.status == SubmissionStatus.FAILED, submission_at >= since)
            .order_by(submission_at).limit(limit),
            select(IntakeItem, delivery_at)
            .join(Delivery, and_(Delivery.item_id == IntakeItem.id,
                                 Delivery.submission_id == IntakeItem.submission_id))
            .where(IntakeItem.site == site, Delivery.state == DeliveryState.PARKED,
                   delivery_at >= since)
            .order_by(delivery_at).limit(limit),
        ]
        found: dict[object, tuple[IntakeItem, datetime]] = {}
        for statement in statements:
            for item, at in self.session.execute(statement):
                if item.id not in found or at > found[item.id][1]:
                    found[item.id] = (item, at)
        return sorted(found.values(), key=lambda pair: pair[1])[:limit]
