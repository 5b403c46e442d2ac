"""Submission API. Who may call: holders of the API key (integrations and operators)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, status

from bridge.deps import ApiKeyDep, SessionDep
from bridge.exercises.schemas import decode_files
from bridge.exercises.service import ExerciseNotFound
from bridge.submissions import service
from bridge.submissions.schemas import SubmissionCreate, SubmissionRead
from grader import SubmissionRejected

router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"], dependencies=[ApiKeyDep])


@router.post("", status_code=status.HTTP_202_ACCEPTED, response_model=SubmissionRead)
def create_submission(body: SubmissionCreate, session: SessionDep) -> SubmissionRead:
    """Accept files for an exercise; grading starts once the submission is stored."""
    try:
        files = decode_files(body.files)
        submission = service.create(session, exercise_id=body.exercise_id, files=files,
                                    version=body.version)
    except ExerciseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "exercise or version not found") from None
    except (SubmissionRejected, ValueError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    return read_submission(submission.id, session)


@router.get("/{submission_id}", response_model=SubmissionRead)
def read_submission(submission_id: uuid.UUID, session: SessionDep) -> SubmissionRead:
    """Status of a submission and, once graded, its result document."""
    try:
        submission, result, version = service.get(session, submission_id=submission_id)
    except service.SubmissionNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "submission not found") from None
    return SubmissionRead(
        id=submission.id, exercise_id=version.exercise_id, exercise_version=version.number,
        status=submission.status, grading_round=submission.grading_round,
        created_at=submission.created_at, modified_at=submission.modified_at,
        error=submission.error,
        score=result.score if result else None, max_score=result.max_score if result else None,
        result=result.document if result else None,
    )
