"""SQL for one activity's graded items, a page of students at a time."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from bridge.delivery.models import Delivery, DeliveryState
from bridge.exercises.models import ExerciseVersion
from bridge.intake.models import IntakeItem, ItemKind
from bridge.repository import Repository
from bridge.submissions.models import Submission


class ResultsRepository(Repository[IntakeItem]):
    model = IntakeItem

    def users_after(self, site: str, kinds: list[ItemKind], cmid: int, after_user_id: int,
                    limit: int) -> list[int]:
        """The next `limit` users (by id) with a graded-or-gradable item in the activity."""
        statement = (select(IntakeItem.user_id).distinct()
                     .where(IntakeItem.site == site, IntakeItem.kind.in_(kinds),
                            IntakeItem.cmid == cmid, IntakeItem.submission_id.is_not(None),
                            IntakeItem.user_id > after_user_id)
                     .order_by(IntakeItem.user_id).limit(limit))
        return list(self.session.scalars(statement))

    def items_of(self, site: str, kinds: list[ItemKind], cmid: int,
                 user_ids: list[int]) -> list[IntakeItem]:
        """Those users' items of the activity, each user's newest attempt first."""
        statement = (select(IntakeItem)
                     .where(IntakeItem.site == site, IntakeItem.kind.in_(kinds),
                            IntakeItem.cmid == cmid, IntakeItem.submission_id.is_not(None),
                            IntakeItem.user_id.in_(user_ids))
                     .order_by(IntakeItem.user_id, IntakeItem.attempt_number.desc(),
                               IntakeItem.submitted_at.desc()))
        return list(self.session.scalars(statement))

    def pushed_grades(self, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, Delivery]:
        """The delivery of each submission that reached Moodle or met a teacher's grade."""
        statement = (select(Delivery)
                     .where(Delivery.submission_id.in_(submission_ids),
                            Delivery.state.in_((DeliveryState.DELIVERED,
                                                DeliveryState.TEACHER_OVERRIDE)))
                     .order_by(Delivery.submission_id, Delivery.grading_round.desc()))
        found: dict[uuid.UUID, Delivery] = {}
        for delivery in self.session.scalars(statement):
            found.setdefault(delivery.submission_id, delivery)
        return found

    def submissions(self, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, int]]:
        """Each submission's status and exercise version number."""
        statement = (select(Submission.id, Submission.status, ExerciseVersion.number)
                     .join(ExerciseVersion, ExerciseVersion.id == Submission.exercise_version_id)
                     .where(Submission.id.in_(submission_ids)))
        return {sid: (str(status), number) for sid, status, number
                in self.session.execute(statement)}
