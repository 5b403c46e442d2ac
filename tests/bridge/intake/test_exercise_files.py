"""Exercises with files from Moodle (issue 12): signed schema-2 uploads, bounds, downloads back.

Every refused upload is answered with the file (and field) at fault and stores nothing.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.config import get_settings
from bridge.exercises.models import Exercise, ExerciseVersion
from grader.exercise.archive import read_zip, write_zip
from tests.fakes.fixtures import HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle
from tests.grader.exercise.mean_exercise import EXERCISE_YAML, FILES, TEST_FILE

Upload = Callable[..., httpx.Response]


@pytest.fixture
def upload(moodle_site: FakeMoodle, client: TestClient) -> Iterator[Upload]:
    """POST a signed schema-2 upload of assignment 1's exercise (one form save a second)."""
    saves = iter(range(int(time.time()) - 100, int(time.time())))

    def send(**parts: object) -> httpx.Response:
        body = moodle_site.exercise_upload_body(1, **parts)  # type: ignore[arg-type]
        return client.post("/api/v1/intake/exercises", content=body,
                           headers=moodle_site.sign(body, next(saves)))

    yield send


def stored(session: Session) -> tuple[int, int]:
    """(exercises, versions) in the database."""
    return (session.scalar(select(func.count()).select_from(Exercise)) or 0,
            session.scalar(select(func.count()).select_from(ExerciseVersion)) or 0)


def zipped(files: dict[str, bytes], folder: str = "mean") -> bytes:
    return write_zip(files, folder=folder)


def refusal(response: httpx.Response) -> dict[str, str | None]:
    assert response.status_code == 422, response.text
    assert response.json()["valid"] is False
    error: dict[str, str | None] = response.json()["error"]
    return error


def test_a_zip_of_the_exercise_folder_becomes_version_1(upload: Upload, session: Session,
                                                        client: TestClient) -> None:
    response = upload(archive=zipped(FILES))
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is True
    assert response.json()["message"] == "2 tests, 3 points, version 1"
    exercise = client.get(f"/api/v1/exercises/{response.json()['exercise_id']}").json()
    assert exercise["spec"]["unittest"] == "test_stats.py"
    assert upload(archive=zipped(FILES, folder="renamed")).json()["version"] == 1  # same files
    assert stored(session) == (1, 1)


def test_a_zip_made_by_a_zip_tool(upload: Upload, tmp_path: Path) -> None:
    """shutil's zip of the folder (directory entries, the folder's name on top), as teachers make."""
    for path, content in FILES.items():
        (tmp_path / "mean" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "mean" / path).write_bytes(content)
    made = shutil.make_archive(str(tmp_path / "mean"), "zip", root_dir=tmp_path, base_dir="mean")
    assert "mean/data/" in zipfile.ZipFile(made).namelist()
    response = upload(archive=Path(made).read_bytes())
    assert response.status_code == 200 and response.json()["version"] == 1, response.text


def test_files_with_the_forms_exercise_yaml(upload: Upload) -> None:
    files = {p: c for p, c in FILES.items() if p != "exercise.yaml"}
    response = upload(exercise_yaml=EXERCISE_YAML, files=files)
    assert response.status_code == 200 and response.json()["version"] == 1
    changed = {**files, "data/scores.csv": b"score\n1\n2\n"}
    assert upload(exercise_yaml=EXERCISE_YAML, files=changed).json()["version"] == 2


def test_schema_1_still_takes_exercise_yaml_alone(moodle_site: FakeMoodle,
                                                  client: TestClient) -> None:
    body = json.dumps({"schema": 1, "site": moodle_site.site, "course_id": 2, "cmid": 1,
                       "kind": "assign", "instance_id": 1, "exercise_yaml": HELLO_EXERCISE,
                       }).encode()
    assert client.post("/api/v1/intake/exercises", content=body,
                       headers=moodle_site.sign(body)).json()["version"] == 1
    with_files = json.loads(body) | {"files": {"a.txt": "YQ=="}}
    raw = json.dumps(with_files).encode()
    refused = client.post("/api/v1/intake/exercises", content=raw, headers=moodle_site.sign(raw))
    assert refused.status_code == 422 and refused.json()["error"] == "schema_invalid"
    assert "schema 1 carries exercise_yaml alone" in refused.json()["detail"]


def test_a_zip_bomb_is_refused_before_it_is_inflated(upload: Upload, session: Session) -> None:
    limit = get_settings().exercise_max_file_bytes
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("exercise.yaml", EXERCISE_YAML)
        archive.writestr("data/zeros.bin", b"\0" * (limit + 1))
    assert len(bomb.getvalue()) < 20_000  # megabytes of zeros deflate to a few kilobytes
    error = refusal(upload(archive=bomb.getvalue()))
    assert error == {"file": "data/zeros.bin", "field": None,
                     "message": f"file is larger than {limit} bytes"}
    assert stored(session) == (0, 0)


def test_too_many_files_is_refused(upload: Upload, session: Session) -> None:
    count = get_settings().exercise_max_files + 1
    many = {**FILES, **{f"data/f{i}.txt": b"" for i in range(count)}}
    assert refusal(upload(archive=zipped(many, folder="")))["message"] == \
        f"more than {count - 1} entries"
    as_files = refusal(upload(files=many))
    assert as_files["message"] == f"more than {count - 1} files"
    assert stored(session) == (0, 0)


@pytest.mark.parametrize("name", ["../escape.py", "data/../../escape.py", "/etc/cron.d/x"])
def test_paths_outside_the_exercise_are_refused(upload: Upload, session: Session,
                                                name: str) -> None:
    assert refusal(upload(archive=zipped({**FILES, name: b"x"}, folder="")))["file"] == name
    assert refusal(upload(files={**FILES, name: b"x"}))["file"] == name
    assert stored(session) == (0, 0)


def test_a_broken_exercise_names_its_file_and_field(upload: Upload, session: Session) -> None:
    bad_field = EXERCISE_YAML.replace("points: 2", "points: lots")
    error = refusal(upload(archive=zipped({**FILES, "exercise.yaml": bad_field.encode()})))
    assert (error["file"], error["field"]) == ("exercise.yaml", "tests[0].points")
    missing = refusal(upload(files={"exercise.yaml": FILES["exercise.yaml"],
                                    "test_stats.py": TEST_FILE}))
    assert (missing["file"], missing["field"]) == ("exercise.yaml", "files[0]")
    assert "data/scores.csv" in (missing["message"] or "")
    twice = refusal(upload(exercise_yaml=EXERCISE_YAML, archive=zipped(FILES)))
    assert twice["file"] == "exercise.yaml" and "given twice" in (twice["message"] or "")
    assert stored(session) == (0, 0)


def test_files_that_are_not_base64_are_named(moodle_site: FakeMoodle, client: TestClient,
                                             session: Session) -> None:
    body = json.loads(moodle_site.exercise_upload_body(1, exercise_yaml=EXERCISE_YAML))
    for bad in ("not base64!", "YQ", "Y Q==", "-_8="):
        raw = json.dumps(body | {"files": {"data/scores.csv": bad}}).encode()
        error = refusal(client.post("/api/v1/intake/exercises", content=raw,
                                    headers=moodle_site.sign(raw)))
        assert error == {"file": "data/scores.csv", "field": None,
                         "message": "is not valid base64"}
    assert stored(session) == (0, 0)


def test_the_verdict_reads_file_and_field(upload: Upload) -> None:
    """What exercise_verdict shows the teacher: the detail line names both."""
    bad = EXERCISE_YAML.replace("entrypoint: stats.py\n", "")
    detail = upload(archive=zipped({**FILES, "exercise.yaml": bad.encode()})).json()["detail"]
    assert detail.startswith("exercise.yaml: entrypoint: ")


def test_signed_download_round_trip(upload: Upload, moodle_site: FakeMoodle,
                                    client: TestClient) -> None:
    upload(archive=zipped(FILES))
    body = moodle_site.exercise_download_body(1)
    response = client.post("/api/v1/intake/exercises/archive", content=body,
                           headers=moodle_site.sign(body))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].endswith('-v1.zip"')
    assert read_zip(response.content) == FILES
    replayed = client.post("/api/v1/intake/exercises/archive", content=body,
                           headers=moodle_site.sign(body))
    assert replayed.status_code == 409 and replayed.json()["error"] == "replayed"
    second = moodle_site.exercise_download_body(1)  # a second click: a fresh nonce
    again = client.post("/api/v1/intake/exercises/archive", content=second,
                        headers=moodle_site.sign(second))
    assert again.content == response.content  # the same files, the same bytes

    unsigned = client.post("/api/v1/intake/exercises/archive", content=body)
    assert unsigned.status_code == 400 and unsigned.json()["error"] == "missing_header"
    forged = client.post("/api/v1/intake/exercises/archive", content=body,
                         headers=moodle_site.sign(body, secret="not-the-secret"))
    assert forged.status_code == 401
    other = moodle_site.exercise_download_body(99)
    missing = client.post("/api/v1/intake/exercises/archive", content=other,
                          headers=moodle_site.sign(other))
    assert missing.status_code == 404 and missing.json()["error"] == "not_linked"
    quiz = moodle_site.exercise_download_body(1, kind="quiz")
    no_question = client.post("/api/v1/intake/exercises/archive", content=quiz,
                              headers=moodle_site.sign(quiz))
    assert no_question.status_code == 422


def test_operator_archive_endpoint_by_version(upload: Upload, client: TestClient) -> None:
    exercise_id = upload(archive=zipped(FILES)).json()["exercise_id"]
    changed = {**FILES, "data/scores.csv": b"score\n1\n"}
    assert upload(archive=zipped(changed)).json()["version"] == 2
    url = f"/api/v1/exercises/{exercise_id}/archive"
    assert read_zip(client.get(url).content) == changed
    assert read_zip(client.get(url, params={"version": 1}).content) == FILES
    assert client.get(url, params={"version": 3}).status_code == 404
    assert client.get(url, headers={"X-API-Key": "wrong"}).status_code == 401


def test_downloaded_zip_passes_grader_check(upload: Upload, moodle_site: FakeMoodle,
                                            client: TestClient, tmp_path: Path) -> None:
    """Download, then `grader check exercise.zip --solution --wrong`, as a teacher would."""
    from grader.cli import main
    from tests.grader.exercise.mean_exercise import SOLUTION, WRONG

    upload(archive=zipped(FILES))
    body = moodle_site.exercise_download_body(1)
    archive = tmp_path / "downloaded.zip"
    archive.write_bytes(client.post("/api/v1/intake/exercises/archive", content=body,
                                    headers=moodle_site.sign(body)).content)
    for name, source in (("good", SOLUTION), ("wrong", WRONG)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "stats.py").write_bytes(source)
    good, wrong = str(tmp_path / "good"), str(tmp_path / "wrong")
    assert main(["check", str(archive), "--solution", good, "--wrong", wrong]) == 0
    assert main(["check", str(archive), "--solution", wrong]) == 1  # it does not earn full marks
    assert main(["check", str(archive), "--wrong", good]) == 1  # the tests would not catch it


def test_a_quiz_questions_files_and_download(moodle_site: FakeMoodle, client: TestClient) -> None:
    """A linked question's upload carries the question object and the zip; it comes back."""
    quiz = moodle_site.add_quiz(1)
    body = json.loads(moodle_site.quiz_exercise_body(1, 101, "unused"))
    del body["exercise_yaml"]
    raw = json.dumps(body | {"schema": 2, "archive": base64.b64encode(zipped(FILES)).decode()}
                     ).encode()
    response = client.post("/api/v1/intake/exercises", content=raw, headers=moodle_site.sign(raw))
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "2 tests, 3 points, version 1"
    for entry, status in ((101, 200), (102, 404)):
        ask = moodle_site.exercise_download_body(quiz["cmid"], kind="quiz",
                                                 question_bank_entry_id=entry)
        answer = client.post("/api/v1/intake/exercises/archive", content=ask,
                             headers=moodle_site.sign(ask))
        assert answer.status_code == status, answer.text
        if status == 200:
            assert read_zip(answer.content) == FILES
