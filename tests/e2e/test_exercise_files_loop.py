"""Exercise files through the standalone stand-in and a real `bridge serve` (issue 12).

The stand-in plays local_bridge's Autograding section: a zip of the exercise folder, then a
broken one, sent as the plugin sends them (schema 2, signed); the operator reads the stored
version back as a zip.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from grader.exercise.archive import read_zip, write_zip
from tests.bridge.auth.served import serving
from tests.conftest import API_KEY
from tests.e2e.test_quiz_loop import scratch_database, standin_server  # noqa: F401
from tests.fakes.moodle import TEST_SECRET, TEST_TOKEN
from tests.grader.exercise.mean_exercise import EXERCISE_YAML, FILES


@pytest.mark.timeout(180)
def test_the_stand_in_uploads_a_zip_and_the_operator_downloads_it(
        scratch_database: str, standin_server: str) -> None:  # noqa: F811
    sites = json.dumps({"moodle-test-site": {"url": standin_server, "token": TEST_TOKEN,
                                             "webhook_secret": TEST_SECRET}})
    standin = httpx.Client(base_url=f"{standin_server}/_standin", timeout=30)
    with serving(scratch_database, MOODLE_SITES=sites, BRIDGE_API_KEY=API_KEY) as bridge:
        standin.post("/assignments", json={"id": 1, "cmid": 1})
        archive = base64.b64encode(write_zip(FILES, folder="mean")).decode()
        sent = standin.post("/exercise", json={"assignment_id": 1, "archive": archive,
                                               "bridge_url": bridge}).json()
        assert sent["status"] == 200, sent
        answer = json.loads(sent["body"])
        assert answer["valid"] is True and answer["version"] == 1

        broken = EXERCISE_YAML.replace("unittest: test_stats.py", "unittest: missing.py")
        refused = standin.post("/exercise", json={
            "assignment_id": 1, "exercise_yaml": broken,
            "files": {p: base64.b64encode(c).decode() for p, c in FILES.items()
                      if p != "exercise.yaml"},
            "bridge_url": bridge}).json()
        assert refused["status"] == 422
        assert json.loads(refused["body"])["error"] == {
            "file": "exercise.yaml", "field": "unittest",
            "message": "names 'missing.py', which is not in the exercise"}

        download = httpx.get(f"{bridge}/api/v1/exercises/{answer['exercise_id']}/archive",
                             headers={"X-API-Key": API_KEY}, timeout=30)
        assert download.status_code == 200
        assert read_zip(download.content) == FILES
