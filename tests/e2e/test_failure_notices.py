"""A submission that cannot be graded reaches its teacher once (issue 17).

A real `bridge serve`; the stand-in reads its signed /failures list as local_bridge's
fetch_failures task does (from a cursor, again after a crash, from the start again) and sees
the failed state in a student's poll: one message per failure however often it is seen, the
student told "your teacher has been told" without the error text, the teacher with it.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import sqlalchemy as sa

from bridge.intake.models import IntakeItem, IntakeStatus
from tests.bridge.auth.served import run_bridge, scratch_database_url, serving
from tests.conftest import API_KEY, TEST_REDIS_URL, recreate_database
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle

DATABASE_URL = scratch_database_url("failure_notices")


def _reject(item_id: str, error: str) -> None:
    """The intake gives up on an item, as fetch_item does for files that cannot be graded."""
    engine = sa.create_engine(DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(sa.update(IntakeItem).where(IntakeItem.id == uuid.UUID(item_id))
                           .values(status=IntakeStatus.REJECTED, error=error,
                                   modified_at=sa.func.now()))
    engine.dispose()


def test_each_failure_is_told_once_however_often_it_is_seen() -> None:
    recreate_database(DATABASE_URL)
    run_bridge(DATABASE_URL, "migrate")
    with FakeMoodle() as moodle:
        moodle.add_assignment(1, cmid=1, course=2, grade=100)
        sites = json.dumps({moodle.site: {"url": moodle.url, "token": moodle.token,
                                          "webhook_secret": moodle.secret}})
        with serving(DATABASE_URL, MOODLE_SITES=sites, BROKER_URL=TEST_REDIS_URL) as bridge, \
                httpx.Client(base_url=bridge) as client:
            assert client.put(f"/api/v1/sites/{moodle.site}/assignments/1/exercise",
                              headers={"X-API-Key": API_KEY},
                              json={"course_id": 2, "instance_id": 1,
                                    "files": {"exercise.yaml": HELLO_EXERCISE}}
                              ).status_code == 200
            state = moodle.state_site
            state.bridge_url = bridge
            items = {}
            for user in (5, 6):
                submission = moodle.add_submission(1, user, {"hello.py": GOOD_HELLO})
                items[user] = moodle.send_notification(client, submission).json()["id"]
            assert asyncio.run(state.fetch_failures()) == 0 and state.messages == []

            _reject(items[5], "hello.py is missing")
            assert asyncio.run(state.fetch_failures()) == 1
            assert asyncio.run(state.fetch_failures()) == 0  # the cursor, and the id
            state.failure_since = 0  # a task that lost its cursor reads everything again
            assert asyncio.run(state.fetch_failures()) == 0
            [told] = state.messages
            assert (told["name"], told["userto"]) == ("gradingfailed", moodle.TEACHER_USER)
            assert told["contexturl"].endswith("/local/bridge/grading.php?cmid=1")

            # The student's page sees the failure too: told, no second message, no error text.
            seen = asyncio.run(state.grading_state(5, 1, 0))
            assert (seen["state"], seen["final"], seen["reason"]) == ("failed", True, "rejected")
            assert seen["message"] == ("Your submission could not be graded automatically. "
                                       "Your teacher has been told.")
            assert seen["detail"] == ""
            teacher = asyncio.run(state.grading_state(moodle.TEACHER_USER, 1, 5))
            assert teacher["detail"] == "hello.py is missing"
            assert teacher["message"] == ("Could not be graded: the submission cannot be graded "
                                          "(for example, a required file is missing)")
            assert len(state.messages) == 1

            # Another student's failure, seen first by their poll, then listed: one more message.
            _reject(items[6], "hello.py is empty")
            assert asyncio.run(state.grading_state(6, 1, 0))["state"] == "failed"
            assert asyncio.run(state.fetch_failures()) == 0
            assert [m["failure_id"] for m in state.messages] == [
                told["failure_id"], state.messages[1]["failure_id"]]
            assert len({m["failure_id"] for m in state.messages}) == 2

            # Nobody else's state: a student asking about another is refused.
            try:
                asyncio.run(state.grading_state(6, 1, 5))
            except PermissionError as exc:
                assert str(exc) == "nopermissions"
            else:
                raise AssertionError("a student read another student's state")
