"""Which exercise grades which Moodle activity: linking, reading a link, describing a version."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from bridge.exercises import service as exercises
from bridge.exercises.models import ExerciseVersion
from bridge.exercises.repository import ExerciseRepository
from bridge.intake.models import ActivityKind, ExerciseLink
from bridge.intake.repository import IntakeRepository
from grader import SPEC_FILE, max_score


class LinkNotFound(LookupError):
    pass


def link_exercise(session: Session, *, site: str, activity: ActivityKind, cmid: int,
                  course_id: int, instance_id: int, files: dict[str, bytes] | None = None,
                  exercise_id: uuid.UUID | None = None, enabled: bool = True
                  ) -> tuple[ExerciseLink, ExerciseVersion]:
    """Attach an exercise to an activity; new files become the linked exercise's next version.

    Raises ExerciseError for a broken exercise (nothing is stored), ExerciseNotFound for an
    unknown exercise id.
    """
    repo = IntakeRepository(session)
    link = repo.link(site, activity, cmid)
    if files is not None:
        version = version_for_files(session, exercise_id=link.exercise_id if link else None,
                                    name=f"{site} {activity} {cmid}", files=files)
    elif exercise_id is not None:
        version = exercises.latest(session, exercise_id=exercise_id)
    else:
        raise ValueError("give the exercise files or an exercise id")
    if link is None:
        link = repo.add_link(ExerciseLink(
            site=site, activity=activity, cmid=cmid, course_id=course_id,
            instance_id=instance_id, exercise_id=version.exercise_id, enabled=enabled))
    else:
        link.course_id, link.instance_id, link.enabled = course_id, instance_id, enabled
        link.exercise_id = version.exercise_id
    session.flush()
    return link, version


def version_for_files(session: Session, *, exercise_id: uuid.UUID | None, name: str,
                      files: dict[str, bytes]) -> ExerciseVersion:
    """The linked exercise's next version for these files (a new exercise if none is linked).

    The same files again (a form saved without changes) are the current version, not a new one.
    """
    if exercise_id is None:
        return exercises.create(session, name=name, files=files)
    current = exercises.latest(session, exercise_id=exercise_id)
    stored = ExerciseRepository(session).get_version(current.id)
    assert stored is not None
    if {f.path: f.content for f in stored.files} == files:
        return current
    return exercises.add_version(session, exercise_id=exercise_id, files=files)


def link_exercise_yaml(session: Session, *, site: str, activity: ActivityKind, cmid: int,
                       course_id: int, instance_id: int, exercise_yaml: str
                       ) -> tuple[ExerciseLink, ExerciseVersion]:
    """The plugin's form sends exercise.yaml alone (tests inline)."""
    return link_exercise(session, site=site, activity=activity, cmid=cmid, course_id=course_id,
                         instance_id=instance_id, files={SPEC_FILE: exercise_yaml.encode()})


def unlink(session: Session, *, site: str, activity: ActivityKind, cmid: int) -> None:
    """Stop grading an activity (deleted in Moodle, say); its items, results and grades stay."""
    repo = IntakeRepository(session)
    link = repo.link(site, activity, cmid)
    if link is None:
        raise LinkNotFound(cmid)
    repo.delete_link(link)


def get_link(session: Session, *, site: str, activity: ActivityKind, cmid: int
             ) -> tuple[ExerciseLink, ExerciseVersion]:
    """An activity's link and its exercise's newest version; LinkNotFound if it has none."""
    link = IntakeRepository(session).link(site, activity, cmid)
    if link is None:
        raise LinkNotFound(cmid)
    return link, exercises.latest(session, exercise_id=link.exercise_id)


def describe_version(session: Session, version: ExerciseVersion) -> str:
    """What the teacher reads next to the form: tests, points, version."""
    loaded = exercises.load(session, version_id=version.id)
    tests = len(loaded.io_tests) or len(loaded.unit_tests)
    return (f"{tests} test{'s' if tests != 1 else ''}, {max_score(loaded):g} points, "
            f"version {version.number}")
