"""A Moodle answer that repeats the token: stored and shown redacted."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bridge.intake import links, service
from bridge.intake.models import ActivityKind, IntakeItem, IntakeStatus
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle


def test_a_warning_repeating_the_token_is_stored_and_shown_redacted(
        moodle_site: FakeMoodle, client: TestClient, session: Session,
        db_factory: sessionmaker[Session]) -> None:
    links.link_exercise_yaml(session, site=moodle_site.site, activity=ActivityKind.ASSIGN,
                             cmid=1, course_id=2, instance_id=1, exercise_yaml=HELLO_EXERCISE)
    session.commit()
    sub = moodle_site.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    item_id = moodle_site.send_notification(client, sub).json()["id"]
    # What a misconfigured site may answer: a warning that quotes what it was sent.
    moodle_site.raw_answer = json.dumps({"assignments": [], "warnings": [{
        "item": "assignment", "itemid": 1, "warningcode": "3",
        "message": f"No access rights in module context (token {moodle_site.token})"}]}).encode()

    assert service.fetch_item(item_id, factory=db_factory) is IntakeStatus.FAILED
    session.expire_all()
    stored = session.get(IntakeItem, item_id).error
    assert "No access rights" in stored and moodle_site.token not in stored
    for shown in (client.get(f"/api/v1/items/{item_id}").text,
                  client.get(f"/api/v1/sites/{moodle_site.site}/items").text):
        assert "No access rights" in shown and moodle_site.token not in shown
