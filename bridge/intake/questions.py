"""Which exercise grades which question of a quiz: linking, unlinking, reading the links.

A link is keyed by (site, quiz cmid, question bank entry), as local_bridge_question is: the
slot changes when a teacher reorders, adds or removes questions, the bank entry does not.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bridge.exercises import service as exercises
from bridge.exercises.models import ExerciseVersion
from bridge.intake.links import describe_version, version_for_files
from bridge.intake.models import QuestionLink
from bridge.intake.repository import IntakeRepository
from bridge.intake.schemas import QuestionLinkRead, QuestionRef


class QuestionLinkNotFound(LookupError):
    pass


def link_question(session: Session, *, site: str, cmid: int, course_id: int, instance_id: int,
                  bank_entry_id: int, question_id: int | None = None,
                  idnumber: str | None = None, name: str = "",
                  files: dict[str, bytes] | None = None, exercise_id: uuid.UUID | None = None,
                  enabled: bool = True) -> tuple[QuestionLink, ExerciseVersion]:
    """Attach an exercise to one question of a quiz; new files become its next version.

    Raises ExerciseError for a broken exercise (nothing is stored), ExerciseNotFound for an
    unknown exercise id, ValueError when neither files nor an exercise id are given.
    """
    repo = IntakeRepository(session)
    link = repo.question_link(site, cmid, bank_entry_id)
    if files is not None:
        version = version_for_files(
            session, exercise_id=link.exercise_id if link else None, files=files,
            name=f"{site} quiz {cmid} question {bank_entry_id}")
    elif exercise_id is not None:
        version = exercises.latest(session, exercise_id=exercise_id)
    elif link is not None:
        version = exercises.latest(session, exercise_id=link.exercise_id)  # enable/disable only
    else:
        raise ValueError("give the exercise files or an exercise id")
    if link is None:
        link = repo.add_question_link(QuestionLink(
            site=site, cmid=cmid, course_id=course_id, instance_id=instance_id,
            question_bank_entry_id=bank_entry_id, exercise_id=version.exercise_id))
    link.course_id, link.instance_id, link.enabled = course_id, instance_id, enabled
    link.exercise_id = version.exercise_id
    if question_id is not None:  # the plugin names the question's current version
        link.question_id, link.idnumber = question_id, idnumber
    link.name = name or link.name
    session.flush()
    return link, version


def link_question_files(session: Session, *, site: str, cmid: int, course_id: int,
                        instance_id: int, question: QuestionRef, files: dict[str, bytes]
                        ) -> tuple[QuestionLink, ExerciseVersion]:
    """The plugin's questions page sends one question's exercise (its identity with it)."""
    return link_question(
        session, site=site, cmid=cmid, course_id=course_id, instance_id=instance_id,
        bank_entry_id=question.question_bank_entry_id, question_id=question.question_id,
        idnumber=question.idnumber, name=question.name, files=files)


def unlink_question(session: Session, *, site: str, cmid: int, bank_entry_id: int) -> None:
    """Stop grading a question: later attempts leave it to the teacher; marks in Moodle stay."""
    repo = IntakeRepository(session)
    link = repo.question_link(site, cmid, bank_entry_id)
    if link is None:
        raise QuestionLinkNotFound(bank_entry_id)
    repo.delete_question_link(link)


def get_question_link(session: Session, *, site: str, cmid: int, bank_entry_id: int
                      ) -> tuple[QuestionLink, ExerciseVersion]:
    """A question's link and its exercise's newest version; QuestionLinkNotFound if none."""
    link = IntakeRepository(session).question_link(site, cmid, bank_entry_id)
    if link is None:
        raise QuestionLinkNotFound(bank_entry_id)
    return link, exercises.latest(session, exercise_id=link.exercise_id)


def question_link_read(session: Session, link: QuestionLink) -> QuestionLinkRead:
    """A link as the API shows it, with its exercise's newest version described."""
    version = exercises.latest(session, exercise_id=link.exercise_id)
    return QuestionLinkRead(
        site=link.site, cmid=link.cmid, course_id=link.course_id,
        instance_id=link.instance_id, question_bank_entry_id=link.question_bank_entry_id,
        question_id=link.question_id, idnumber=link.idnumber, name=link.name,
        exercise_id=link.exercise_id, exercise_version=version.number, enabled=link.enabled,
        message=describe_version(session, version))


def list_question_links(session: Session, *, site: str, cmid: int) -> list[QuestionLinkRead]:
    """Every linked question of a quiz, by bank entry."""
    return [question_link_read(session, link)
            for link in IntakeRepository(session).question_links(site, cmid)]
