"""The grading API: exercises and submissions, with the real database and Redis broker."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bridge.exercises.models import Exercise
from bridge.grading import GRADE_SUBMISSION
from bridge.grading.service import Outcome, grade_submission
from bridge.submissions.models import Submission
from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE
from grader.sandbox.docker import DockerSandbox
from tests.conftest import API_KEY
from tests.grader.helpers import ADD_EXERCISE, GOOD_PY

EXERCISE_YAML = yaml.safe_dump(ADD_EXERCISE)


def create_exercise(client: TestClient) -> dict[str, object]:
    response = client.post("/api/v1/exercises",
                           json={"name": "add", "files": {"exercise.yaml": EXERCISE_YAML}})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def queued_tasks(redis_client: redis.Redis, queue: str = GRADING_QUEUE
                 ) -> list[tuple[str, list[str]]]:
    tasks = []
    for raw in redis_client.lrange(queue, 0, -1):
        message = json.loads(raw)
        args = json.loads(__import__("base64").b64decode(message["body"]))[0]
        tasks.append((message["headers"]["task"], args))
    return tasks


def test_api_key_is_required(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer no"},
                    {"X-API-Key": API_KEY[:-1]}):
        response = anonymous.get(f"/api/v1/submissions/{uuid.uuid4()}", headers=headers)
        assert response.status_code == 401, headers
    assert anonymous.post("/api/v1/exercises", json={}).status_code == 401
    assert anonymous.get(f"/api/v1/submissions/{uuid.uuid4()}",
                         headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 404


def test_exercise_versions(client: TestClient) -> None:
    created = create_exercise(client)
    assert created["version"] == 1 and created["max_score"] == 3
    response = client.post(f"/api/v1/exercises/{created['id']}/versions",
                           json={"files": {"exercise.yaml": EXERCISE_YAML}})
    assert response.status_code == 201 and response.json()["version"] == 2
    assert client.get(f"/api/v1/exercises/{created['id']}").json()["version"] == 2


def test_broken_exercise_is_refused_with_file_and_field(client: TestClient) -> None:
    bad = EXERCISE_YAML.replace("points: 2", "points: two")
    response = client.post("/api/v1/exercises", json={"name": "x", "files": {"exercise.yaml": bad}})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["file"] == "exercise.yaml" and detail["field"] == "tests[0].points"
    verdict = client.post("/api/v1/exercises/validate",
                          json={"files": {"exercise.yaml": bad}}).json()
    assert verdict["valid"] is False and verdict["error"]["field"] == "tests[0].points"


@pytest.mark.parametrize(("spec", "field"), [
    ("language: python\nentrypoint: s.py\ntests:\n  - {name: t, files: {in.txt: ../x},"
     " expected_stdout: ''}\n", "tests[0].files.in.txt"),
    ("language: python\nentrypoint: s.py\ntests:\n  - {name: t, expected_stdout: '',"
     " points: .inf}\n", "tests[0].points"),
    ("language: " + "[" * 5000 + "\n", None),
])
def test_hostile_exercise_is_a_short_422_and_stores_nothing(
        client: TestClient, session: Session, spec: str, field: str | None) -> None:
    before = session.scalar(select(func.count()).select_from(Exercise))
    response = client.post("/api/v1/exercises", json={"name": "x", "files": {"exercise.yaml": spec}})
    assert response.status_code == 422, response.text
    assert len(response.content) < 600
    if field is not None:
        assert response.json()["detail"]["field"] == field
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Exercise)) == before


def test_submission_is_queued_after_commit_and_graded(
    client: TestClient, redis_client: redis.Redis, db_factory: sessionmaker[Session],
    sandbox: DockerSandbox,
) -> None:
    exercise = create_exercise(client)
    response = client.post("/api/v1/submissions", json={
        "exercise_id": exercise["id"], "files": {"solution.py": GOOD_PY.decode()}})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and body["result"] is None
    assert queued_tasks(redis_client) == [(GRADE_SUBMISSION, [body["id"]])]
    assert queued_tasks(redis_client, MOODLE_QUEUE) == []  # grading never waits behind Moodle

    assert grade_submission(uuid.UUID(body["id"]), sandbox, db_factory) is Outcome.GRADED
    graded = client.get(f"/api/v1/submissions/{body['id']}").json()
    assert graded["status"] == "graded"
    assert (graded["score"], graded["max_score"]) == (3, 3)
    assert graded["result"]["tests"][0]["status"] == "passed"


def test_bad_submissions_change_nothing(client: TestClient, redis_client: redis.Redis,
                                       session: Session) -> None:
    exercise = create_exercise(client)
    before = session.scalar(select(func.count()).select_from(Submission))
    cases = [
        {"exercise_id": exercise["id"], "files": {"../evil.py": "x"}},
        {"exercise_id": exercise["id"], "files": {}},
        {"exercise_id": exercise["id"], "files": {"solution.py": {"base64": "%%%"}}},
        {"exercise_id": exercise["id"], "files": {"x.txt": "no python here"}},
        {"exercise_id": str(uuid.uuid4()), "files": {"solution.py": "print(1)"}},
        {"exercise_id": "not-a-uuid", "files": {}},
    ]
    for case in cases:
        response = client.post("/api/v1/submissions", json=case)
        assert response.status_code in (404, 422), (case, response.text)
    assert session.scalar(select(func.count()).select_from(Submission)) == before
    assert queued_tasks(redis_client) == []


def test_unknown_submission_is_404(client: TestClient) -> None:
    assert client.get(f"/api/v1/submissions/{uuid.uuid4()}").status_code == 404
