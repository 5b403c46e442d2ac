"""The student's page shows the autograding state changing, without a reload (issue 17).

A real headless Chromium (Debian's, driven by Playwright) opens the stand-in's assignment page,
which loads local_bridge's built AMD module (amd/build/grading_state.min.js) with a stand-in
for core/ajax; the module polls the stand-in's local_bridge_get_grading_state, which asks a
real `bridge serve` over the signed /api/v1/intake/states. The bridge is first unreachable
(the box says so and keeps asking), then answers; a real Moodle worker fetches the submission
and a real grading worker grades it in a container, and the box goes queued → graded, with the
score and the grade in the gradebook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from bridge.worker.jobs import GRADING_QUEUE, MOODLE_QUEUE
from tests.bridge.auth.served import free_port, run_bridge, scratch_database_url, serving
from tests.conftest import API_KEY, TEST_REDIS_URL, recreate_database
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle
from tests.support import celery_worker, grading_env, wait_until

CHROMIUM = "/usr/bin/chromium"  # Debian's package (.ci/services.sh test installs it)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
DATABASE_URL = scratch_database_url("state_browser")
STUDENT = 7


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, chromium_sandbox=False)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def _box(page: Page) -> tuple[str, str]:
    box = page.locator(".local-bridge-grading-state")
    return box.get_attribute("data-state") or "", box.inner_text()


def _wait_state(page: Page, state: str, timeout: float) -> str:
    def reached() -> str | None:
        shown, text = _box(page)
        return text if shown == state else None

    return wait_until(reached, timeout=timeout, interval=0.2,
                      what=lambda: f"the box to say {state!r}; it says {_box(page)}")


@pytest.mark.timeout(300)
def test_the_box_goes_from_queued_to_graded_without_a_reload(page: Page,
                                                             tmp_path: Path) -> None:
    recreate_database(DATABASE_URL)
    run_bridge(DATABASE_URL, "migrate")
    with FakeMoodle() as moodle:
        moodle.add_assignment(1, cmid=1, course=2, grade=100)
        sites = json.dumps({moodle.site: {"url": moodle.url, "token": moodle.token,
                                          "webhook_secret": moodle.secret}})
        core = {"ENVIRONMENT": "test", "DATABASE_URL": DATABASE_URL,
                "BROKER_URL": TEST_REDIS_URL}
        with serving(DATABASE_URL, MOODLE_SITES=sites, BROKER_URL=TEST_REDIS_URL) as bridge:
            assert httpx.put(f"{bridge}/api/v1/sites/{moodle.site}/assignments/1/exercise",
                             headers={"X-API-Key": API_KEY},
                             json={"course_id": 2, "instance_id": 1,
                                   "files": {"exercise.yaml": HELLO_EXERCISE}}).status_code == 200
            submission = moodle.add_submission(1, STUDENT, {"hello.py": GOOD_HELLO})

            # The bridge is down: the page is there at once and says so, and keeps asking.
            moodle.state_site.bridge_url = f"http://127.0.0.1:{free_port()}"
            page.goto(f"{moodle.url}/local/bridge/standin/view.php?cmid=1&as={STUDENT}")
            assert _box(page)[0] in ("checking", "unavailable")
            page.evaluate("window.notReloaded = true")
            assert "cannot be reached" in _wait_state(page, "unavailable", 15)

            # The bridge is back, not told of the submission yet.
            moodle.state_site.bridge_url = bridge
            assert "on its way" in _wait_state(page, "unknown", 30)

            moodle_env = os.environ | core | {"BRIDGE_API_KEY": API_KEY, "MOODLE_SITES": sites}
            logs = {q: tmp_path / f"{q}.log" for q in (GRADING_QUEUE, MOODLE_QUEUE)}
            with celery_worker(MOODLE_QUEUE, moodle_env, logs[MOODLE_QUEUE], pool="solo"):
                with httpx.Client(base_url=bridge) as client:
                    assert moodle.send_notification(client, submission).status_code == 202
                assert "queued" in _wait_state(page, "queued", 30)
                with celery_worker(GRADING_QUEUE, grading_env(**core), logs[GRADING_QUEUE]):
                    text = _wait_state(page, "graded", 180)
                    assert moodle.saved_grades, "the grade reached Moodle's gradebook"

            assert text == ("Graded automatically: 2 / 2 points. The grade (100) is in the "
                            "gradebook.")
            assert page.evaluate("window.notReloaded") is True, "the page was never reloaded"
            seen = page.evaluate("window.standinStates")
            order = [s for s in seen if s in ("unavailable", "unknown", "queued", "graded")]
            assert order == ["unavailable", "unknown", "queued", "graded"], seen
            # Final: the module stops asking.
            polls = moodle.state_site.polls
            page.wait_for_timeout(4500)
            assert moodle.state_site.polls == polls
            assert moodle.saved_grades[-1]["grade"] == "100"
