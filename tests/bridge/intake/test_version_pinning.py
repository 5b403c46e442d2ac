"""A submission is graded by the exercise version current when it was submitted (issue 12).

The teacher may upload a new version between a student's submission and its fetch (the bridge
was busy, Moodle was slow): the submission keeps the version of its own time; one made after
the upload gets the new one.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bridge.exercises.models import ExerciseVersion
from bridge.intake import links, service
from bridge.intake.models import ActivityKind, IntakeItem, IntakeStatus
from bridge.submissions.models import Submission
from grader import GradingResult
from grader.sandbox.docker import DockerSandbox
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle

# Version 2 greets differently: a program right for version 1 scores nothing under it.
SHOUTING = HELLO_EXERCISE.replace("Hello, world!", "HELLO, WORLD!").replace(
    "Hello, Ada!", "HELLO, ADA!")


def _upload(client: TestClient, fake: FakeMoodle, exercise_yaml: str) -> int:
    body = fake.exercise_upload_body(1, exercise_yaml=exercise_yaml)
    response = client.post("/api/v1/intake/exercises", content=body, headers=fake.sign(body))
    assert response.status_code == 200, response.text
    version: int = response.json()["version"]
    return version


def _notified(client: TestClient, fake: FakeMoodle, user_id: int, submitted_at: int
              ) -> IntakeItem:
    sub = fake.add_submission(1, user_id, {"hello.py": GOOD_HELLO})
    sub.timemodified = submitted_at
    body = fake.notification_body(sub)
    response = client.post("/api/v1/intake/notifications", content=body, headers=fake.sign(body))
    assert response.status_code == 202, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def test_a_submission_before_an_upload_keeps_the_old_version(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session], sandbox: DockerSandbox) -> None:
    from bridge.grading.service import grade_submission

    now = int(time.time())
    assert _upload(client, moodle_site, HELLO_EXERCISE) == 1
    first = session.query(ExerciseVersion).one()
    first.created_at = datetime.now(UTC) - timedelta(minutes=10)  # uploaded a while ago
    session.commit()

    before = _notified(client, moodle_site, 5, submitted_at=now - 60)
    assert _upload(client, moodle_site, SHOUTING) == 2  # before the fetch of `before`
    after = _notified(client, moodle_site, 6, submitted_at=int(time.time()))

    scores: dict[str, float] = {}
    for label, item_id in (("before", before), ("after", after)):
        assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FETCHED
        session.expire_all()
        item = session.get(IntakeItem, item_id)
        assert item is not None and item.submission_id is not None
        submission = session.get(Submission, item.submission_id)
        assert submission is not None
        version = session.get(ExerciseVersion, submission.exercise_version_id)
        assert version is not None
        assert version.number == (1 if label == "before" else 2)

        def keep(result: GradingResult, label: str = label) -> None:
            scores[label] = result.score

        grade_submission(submission.id, sandbox, factory=db_factory, on_result=keep)
    assert scores == {"before": 2, "after": 0}  # graded after the upload, by version 1

    link, newest = links.get_link(session, site=moodle_site.site, activity=ActivityKind.ASSIGN,
                                  cmid=1)
    assert newest.number == 2 and link.enabled
