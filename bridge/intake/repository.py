"""SQL for exercise links, gradable items and regrades."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from bridge.intake.models import (
    AcceptedSignature,
    ActivityKind,
    ExerciseLink,
    IntakeItem,
    IntakeStatus,
    ItemKind,
    QuestionLink,
    Regrade,
)
from bridge.repository import Repository


class IntakeRepository(Repository[IntakeItem]):
    model = IntakeItem

    # -- links -------------------------------------------------------------------------------

    def link(self, site: str, activity: ActivityKind, cmid: int) -> ExerciseLink | None:
        statement = select(ExerciseLink).where(
            ExerciseLink.site == site, ExerciseLink.activity == activity,
            ExerciseLink.cmid == cmid)
        return self.session.scalars(statement).first()

    def get_link(self, link_id: uuid.UUID) -> ExerciseLink | None:
        return self.session.get(ExerciseLink, link_id)

    def add_link(self, link: ExerciseLink) -> ExerciseLink:
        self.session.add(link)
        self.session.flush()
        return link

    def enabled_links(self, activity: ActivityKind) -> list[ExerciseLink]:
        statement = select(ExerciseLink).where(ExerciseLink.enabled.is_(True),
                                               ExerciseLink.activity == activity)
        return list(self.session.scalars(statement))

    # -- quiz question links -----------------------------------------------------------------

    def question_link(self, site: str, cmid: int, bank_entry_id: int) -> QuestionLink | None:
        statement = select(QuestionLink).where(
            QuestionLink.site == site, QuestionLink.cmid == cmid,
            QuestionLink.question_bank_entry_id == bank_entry_id)
        return self.session.scalars(statement).first()

    def question_links(self, site: str, cmid: int, *, enabled_only: bool = False
                       ) -> list[QuestionLink]:
        statement = select(QuestionLink).where(QuestionLink.site == site,
                                               QuestionLink.cmid == cmid)
        if enabled_only:
            statement = statement.where(QuestionLink.enabled.is_(True))
        return list(self.session.scalars(statement.order_by(QuestionLink.question_bank_entry_id)))

    def add_question_link(self, link: QuestionLink) -> QuestionLink:
        self.session.add(link)
        self.session.flush()
        return link

    def delete_link(self, link: ExerciseLink) -> None:
        self.session.delete(link)
        self.session.flush()

    def delete_question_link(self, link: QuestionLink) -> None:
        self.session.delete(link)
        self.session.flush()

    def quizzes_to_sweep(self) -> list[tuple[str, int, int | None]]:
        """(site, cmid, swept until) of each quiz with an enabled question link; None when a
        link was never swept (the quiz is swept from the beginning)."""
        never = func.count().filter(QuestionLink.swept_until.is_(None))
        statement = (select(QuestionLink.site, QuestionLink.cmid,
                            func.min(QuestionLink.swept_until), never)
                     .where(QuestionLink.enabled.is_(True))
                     .group_by(QuestionLink.site, QuestionLink.cmid)
                     .order_by(QuestionLink.site, QuestionLink.cmid))
        return [(site, cmid, None if unswept else until)
                for site, cmid, until, unswept in self.session.execute(statement)]

    def mark_quiz_swept(self, site: str, cmid: int, until: int) -> int:
        """Every enabled link of the quiz was swept up to `until` (unix time)."""
        return self.changed(update(QuestionLink)
                            .where(QuestionLink.site == site, QuestionLink.cmid == cmid,
                                   QuestionLink.enabled.is_(True))
                            .values(swept_until=until))

    # -- items -------------------------------------------------------------------------------

    def by_event(self, site: str, event_id: str) -> IntakeItem | None:
        statement = select(IntakeItem).where(IntakeItem.site == site,
                                             IntakeItem.event_id == event_id)
        return self.session.scalars(statement).first()

    def by_moodle_id(self, site: str, kind: ItemKind, item_id: int,
                     attempt: int) -> IntakeItem | None:
        statement = select(IntakeItem).where(
            IntakeItem.site == site, IntakeItem.kind == kind, IntakeItem.item_id == item_id,
            IntakeItem.attempt_number == attempt)
        return self.session.scalars(statement).first()

    def insert_unique(self, item: IntakeItem) -> bool:
        """Insert unless an equal item won the race; False if it did (nothing is written)."""
        try:
            with self.session.begin_nested():
                self.session.add(item)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def question_items(self, attempt_item_id: uuid.UUID) -> list[IntakeItem]:
        """The question items of a quiz attempt's item, by slot."""
        statement = (select(IntakeItem).where(IntakeItem.attempt_item_id == attempt_item_id)
                     .order_by(IntakeItem.slot))
        return list(self.session.scalars(statement))

    def graded_question_items(self, site: str, cmid: int, bank_entry_id: int
                              ) -> list[IntakeItem]:
        """Every attempt's item of one quiz question that has a submission, oldest first."""
        statement = (select(IntakeItem)
                     .where(IntakeItem.site == site, IntakeItem.kind == ItemKind.QUIZ_QUESTION,
                            IntakeItem.cmid == cmid,
                            IntakeItem.question_bank_entry_id == bank_entry_id,
                            IntakeItem.status == IntakeStatus.FETCHED)
                     .order_by(IntakeItem.user_id, IntakeItem.attempt_number))
        return list(self.session.scalars(statement))

    def by_submission(self, submission_id: uuid.UUID) -> IntakeItem | None:
        statement = select(IntakeItem).where(IntakeItem.submission_id == submission_id)
        return self.session.scalars(statement).first()

    def newest_attempt(self, site: str, kind: ItemKind, instance_id: int, user_id: int) -> int:
        statement = select(func.max(IntakeItem.attempt_number)).where(
            IntakeItem.site == site, IntakeItem.kind == kind,
            IntakeItem.instance_id == instance_id, IntakeItem.user_id == user_id)
        return self.session.scalar(statement) or 0

    def latest_per_user(self, site: str, kind: ItemKind, cmid: int) -> list[IntakeItem]:
        """Each user's newest graded-or-gradable item of an activity."""
        statement = (select(IntakeItem)
                     .where(IntakeItem.site == site, IntakeItem.kind == kind,
                            IntakeItem.cmid == cmid,
                            IntakeItem.status == IntakeStatus.FETCHED)
                     .order_by(IntakeItem.user_id, IntakeItem.attempt_number.desc(),
                               IntakeItem.submitted_at.desc()))
        latest: dict[int, IntakeItem] = {}
        for item in self.session.scalars(statement):
            latest.setdefault(item.user_id, item)
        return list(latest.values())

    def list_items(self, site: str, *, cmid: int | None = None, user_id: int | None = None,
                   kind: ItemKind | None = None, attempt_id: int | None = None,
                   limit: int = 100) -> list[IntakeItem]:
        statement = select(IntakeItem).where(IntakeItem.site == site)
        if cmid is not None:
            statement = statement.where(IntakeItem.cmid == cmid)
        if user_id is not None:
            statement = statement.where(IntakeItem.user_id == user_id)
        if kind is not None:
            statement = statement.where(IntakeItem.kind == kind)
        if attempt_id is not None:
            statement = statement.where(
                IntakeItem.kind.in_((ItemKind.QUIZ_ATTEMPT, ItemKind.QUIZ_QUESTION)),
                IntakeItem.item_id == attempt_id)
        statement = statement.order_by(IntakeItem.created_at.desc()).limit(limit)
        return list(self.session.scalars(statement))

    def stuck(self, received_before: datetime, limit: int = 200) -> list[uuid.UUID]:
        """Items still waiting for their fetch job (the job was lost)."""
        statement = (select(IntakeItem.id)
                     .where(IntakeItem.status == IntakeStatus.RECEIVED,
                            func.coalesce(IntakeItem.modified_at, IntakeItem.created_at)
                            < received_before)
                     .limit(limit))
        return list(self.session.scalars(statement))

    # -- regrades ----------------------------------------------------------------------------

    def add_regrade(self, regrade: Regrade) -> Regrade:
        self.session.add(regrade)
        self.session.flush()
        return regrade

    def get_regrade(self, regrade_id: uuid.UUID) -> Regrade | None:
        return self.session.get(Regrade, regrade_id)


class SignatureRepository(Repository[AcceptedSignature]):
    model = AcceptedSignature

    def remember(self, accepted: AcceptedSignature) -> bool:
        """Insert unless this site's signature is already there; False if it was."""
        try:
            with self.session.begin_nested():
                self.session.add(accepted)
                self.session.flush()
        except IntegrityError:
            return False
        return True

    def purge_expired(self, now: datetime) -> int:
        """Forget signatures whose window has closed."""
        return self.changed(delete(AcceptedSignature).where(AcceptedSignature.expires_at < now))
