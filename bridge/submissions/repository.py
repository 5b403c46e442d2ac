"""SQL for submissions and results."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from bridge.repository import Repository
from bridge.submissions.models import Result, Submission, SubmissionFile, SubmissionStatus


class SubmissionRepository(Repository[Submission]):
    model = Submission

    def add_with_files(self, submission: Submission, files: dict[str, bytes]) -> Submission:
        submission.files = [SubmissionFile(path=p, content=c) for p, c in sorted(files.items())]
        self.session.add(submission)
        self.session.flush()
        return submission

    def get_with_files(self, submission_id: uuid.UUID) -> Submission | None:
        statement = (
            select(Submission).where(Submission.id == submission_id)
            .options(selectinload(Submission.files))
        )
        return self.session.scalars(statement).first()

    def many_with_files(self, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, Submission]:
        """Several submissions with their files, in two queries (a regrade reads a course)."""
        statement = (select(Submission).where(Submission.id.in_(submission_ids))
                     .options(selectinload(Submission.files)))
        return {s.id: s for s in self.session.scalars(statement)}

    def latest_results(self, submission_ids: list[uuid.UUID]) -> dict[uuid.UUID, Result]:
        """The newest result of each of several submissions, in one query."""
        statement = (select(Result).where(Result.submission_id.in_(submission_ids))
                     .order_by(Result.submission_id, Result.grading_round.desc()))
        found: dict[uuid.UUID, Result] = {}
        for result in self.session.scalars(statement):
            found.setdefault(result.submission_id, result)
        return found

    def claim(self, submission_id: uuid.UUID, owner: str, now: datetime,
              lease_until: datetime) -> bool:
        """Atomically take the grading lease: queued, or running with an expired lease."""
        statement = (
            update(Submission)
            .where(
                Submission.id == submission_id,
                or_(
                    Submission.status == SubmissionStatus.QUEUED,
                    (Submission.status == SubmissionStatus.RUNNING)
                    & or_(Submission.lease_until.is_(None), Submission.lease_until < now),
                ),
            )
            .values(status=SubmissionStatus.RUNNING, lease_owner=owner, lease_until=lease_until,
                    run_count=Submission.run_count + 1, modified_at=now)
            .execution_options(synchronize_session=False)
        )
        return self.changed(statement) == 1

    def finish(self, submission_id: uuid.UUID, owner: str, grading_round: int,
               status: SubmissionStatus, now: datetime, error: str | None = None) -> bool:
        """Close a run this owner still holds, for the round it graded."""
        statement = (
            update(Submission)
            .where(Submission.id == submission_id, Submission.lease_owner == owner,
                   Submission.status == SubmissionStatus.RUNNING,
                   Submission.grading_round == grading_round)
            .values(status=status, lease_owner=None, lease_until=None, error=error,
                    modified_at=now)
            .execution_options(synchronize_session=False)
        )
        return self.changed(statement) == 1

    def release(self, submission_id: uuid.UUID, owner: str, now: datetime) -> None:
        """Give a claimed submission back to the queue (the sandbox failed, retry later)."""
        self.session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.lease_owner == owner)
            .values(status=SubmissionStatus.QUEUED, lease_owner=None, lease_until=None,
                    modified_at=now)
            .execution_options(synchronize_session=False)
        )

    def add_result(self, result: Result) -> Result:
        self.session.add(result)
        self.session.flush()
        return result

    def result_for_round(self, submission_id: uuid.UUID, grading_round: int) -> Result | None:
        statement = select(Result).where(Result.submission_id == submission_id,
                                         Result.grading_round == grading_round)
        return self.session.scalars(statement).first()

    def results(self, submission_id: uuid.UUID) -> list[Result]:
        """Every result of a submission, oldest round first."""
        statement = (select(Result).where(Result.submission_id == submission_id)
                     .order_by(Result.grading_round))
        return list(self.session.scalars(statement))

    def latest_result(self, submission_id: uuid.UUID) -> Result | None:
        statement = (select(Result).where(Result.submission_id == submission_id)
                     .order_by(Result.grading_round.desc()).limit(1))
        return self.session.scalars(statement).first()

    def stale(self, now: datetime, queued_before: datetime, limit: int = 500) -> list[uuid.UUID]:
        """Submissions whose job was lost: queued for too long, or running past their lease."""
        statement = (
            select(Submission.id)
            .where(or_(
                (Submission.status == SubmissionStatus.QUEUED)
                & (func.coalesce(Submission.modified_at, Submission.created_at) < queued_before),
                (Submission.status == SubmissionStatus.RUNNING) & (Submission.lease_until < now),
            ))
            .limit(limit)
        )
        return list(self.session.scalars(statement))

    def count_by_status(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Submission.status, func.count()).group_by(Submission.status)
        )
        return {str(status): count for status, count in rows}
