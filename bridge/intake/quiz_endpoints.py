"""Quiz question links and regrades for operators. Who may call: holders of the API key.

Mounted under /api/v1 with the other operator routes. A quiz is linked question by question,
by question bank entry id (as the plugin's questions page does). Items of attempts are read
through `/api/v1/sites/{site}/items?attempt_id=`.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Response, status

from bridge.config import get_settings
from bridge.deps import ApiKeyDep, SessionDep
from bridge.exercises.schemas import decode_files
from bridge.exercises.service import ExerciseNotFound
from bridge.intake import question_regrade, questions
from bridge.intake import status as item_status
from bridge.intake.schemas import QuestionLinkIn, QuestionLinkRead, RegradeRead
from grader import ExerciseError

router = APIRouter(prefix="/sites/{site}/quizzes/{cmid}", tags=["quizzes"],
                   dependencies=[ApiKeyDep])
NOT_LINKED = "this question is not linked to an exercise"


@router.get("/questions", response_model=list[QuestionLinkRead])
def list_question_links(site: str, cmid: int, session: SessionDep) -> list[QuestionLinkRead]:
    """Every linked question of a quiz."""
    return questions.list_question_links(session, site=site, cmid=cmid)


@router.put("/questions/{bank_entry_id}/exercise", response_model=QuestionLinkRead)
def put_question_exercise(site: str, cmid: int, bank_entry_id: int, body: QuestionLinkIn,
                          session: SessionDep) -> QuestionLinkRead:
    """Link a question (by bank entry) to an exercise; `enabled: false` stops grading it."""
    if site not in get_settings().moodle_sites:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"site {site!r} is not configured")
    try:
        files = decode_files(body.files) if body.files is not None else None
        link, _ = questions.link_question(
            session, site=site, cmid=cmid, course_id=body.course_id,
            instance_id=body.instance_id, bank_entry_id=bank_entry_id,
            question_id=body.question_id, name=body.name, files=files,
            exercise_id=body.exercise_id, enabled=body.enabled)
    except ExerciseError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            {"valid": False, "error": exc.as_dict(), "detail": str(exc)}
                            ) from None
    except ExerciseNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "exercise not found") from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return questions.question_link_read(session, link)


@router.get("/questions/{bank_entry_id}/exercise", response_model=QuestionLinkRead)
def get_question_exercise(site: str, cmid: int, bank_entry_id: int,
                          session: SessionDep) -> QuestionLinkRead:
    """Which exercise grades a question."""
    try:
        link, _ = questions.get_question_link(session, site=site, cmid=cmid,
                                              bank_entry_id=bank_entry_id)
    except questions.QuestionLinkNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_LINKED) from None
    return questions.question_link_read(session, link)


@router.delete("/questions/{bank_entry_id}/exercise", status_code=status.HTTP_204_NO_CONTENT)
def delete_question_exercise(site: str, cmid: int, bank_entry_id: int,
                             session: SessionDep) -> Response:
    """Unlink a question: later attempts leave it to the teacher; delivered marks stay."""
    try:
        questions.unlink_question(session, site=site, cmid=cmid, bank_entry_id=bank_entry_id)
    except questions.QuestionLinkNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_LINKED) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/questions/{bank_entry_id}/regrade", response_model=RegradeRead,
             status_code=status.HTTP_202_ACCEPTED)
def regrade_question(site: str, cmid: int, bank_entry_id: int,
                     session: SessionDep) -> RegradeRead:
    """Grade the question of every finished attempt again with the newest exercise version."""
    try:
        started = question_regrade.regrade_question(session, site=site, cmid=cmid,
                                                    bank_entry_id=bank_entry_id)
    except questions.QuestionLinkNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_LINKED) from None
    return item_status.regrade_read(session, started)
