"""Regrades as a teacher sees them: started from Moodle, followed to the end, old → new."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.delivery.models import Delivery
from bridge.history import service as history
from bridge.intake import question_regrade
from bridge.intake import regrade as regrades
from bridge.intake import status as item_status
from bridge.intake.models import ActivityKind, Regrade
from bridge.intake.teacher_schemas import RegradeEntryReport, RegradeReport
from bridge.repository import Repository


class RegradeRepository(Repository[Regrade]):
    model = Regrade

    def newest(self, site: str, activity: ActivityKind, cmid: int,
               bank_entry_id: int | None) -> Regrade | None:
        statement = (select(Regrade).where(Regrade.site == site, Regrade.activity == activity,
                                           Regrade.cmid == cmid,
                                           Regrade.question_bank_entry_id == bank_entry_id
                                           if bank_entry_id is not None
                                           else Regrade.question_bank_entry_id.is_(None))
                     .order_by(Regrade.created_at.desc()).limit(1))
        return self.session.scalars(statement).first()

    def deliveries(self, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, Delivery]:
        statement = (select(Delivery).where(Delivery.submission_id.in_(submission_ids))
                     .order_by(Delivery.submission_id, Delivery.grading_round.desc()))
        found: dict[uuid.UUID, Delivery] = {}
        for delivery in self.session.scalars(statement):
            found.setdefault(delivery.submission_id, delivery)
        return found


def start(session: Session, *, site: str, activity: ActivityKind, cmid: int,
          bank_entry_id: int | None, teacher: int | None) -> RegradeReport:
    """A teacher regrades an assignment or a quiz question from Moodle.

    LinkNotFound or QuestionLinkNotFound when nothing is linked.
    """
    actor = history.moodle_actor(site, teacher)
    if activity is ActivityKind.QUIZ:
        assert bank_entry_id is not None  # the schema insists
        started = question_regrade.regrade_question(session, site=site, cmid=cmid,
                                                    bank_entry_id=bank_entry_id,
                                                    requested_by=actor)
    else:
        started = regrades.regrade(session, site=site, activity=activity, cmid=cmid,
                                   requested_by=actor)
    return report(session, started)


def find(session: Session, *, site: str, activity: ActivityKind, cmid: int,
         bank_entry_id: int | None, regrade_id: uuid.UUID | None) -> Regrade | None:
    """The site's regrade of that activity (or quiz question) with this id, or its newest."""
    repo = RegradeRepository(session)
    if regrade_id is None:
        return repo.newest(site, activity, cmid, bank_entry_id)
    found = repo.get(regrade_id)
    if found is None or (found.site, found.activity, found.cmid,
                         found.question_bank_entry_id) != (site, activity, cmid, bank_entry_id):
        return None  # another site's, or another activity's: not this teacher's to see
    return found


def report(session: Session, regrade: Regrade) -> RegradeReport:
    """Old → new per student, what Moodle got, and whether there is anything left to wait for."""
    read = item_status.regrade_read(session, regrade)
    new_ids = [e.new_submission_id for e in read.entries if e.new_submission_id is not None]
    deliveries = RegradeRepository(session).deliveries(new_ids)
    entries = []
    for entry in read.entries:
        found = deliveries.get(entry.new_submission_id) if entry.new_submission_id else None
        entries.append(RegradeEntryReport(**entry.model_dump(),
                                          moodle=found.state.value if found else None))
    # A grading that failed is final too: only queued or running entries are worth waiting for.
    pending = sum(e.status in ("queued", "running") for e in entries)
    return RegradeReport(
        id=read.id, site=read.site, cmid=read.cmid,
        question_bank_entry_id=regrade.question_bank_entry_id,
        exercise_version=read.exercise_version,
        requested_by=regrade.requested_by, created_at=regrade.created_at,
        done=pending == 0, total=len(entries), pending=pending,
        changed=read.changed,
        kept_teacher_grade=sum(e.moodle == "teacher_override" for e in entries),
        entries=entries)
