"""Every route that writes commits before it answers, and a failed commit is never a 2xx.

These tests run against a database of their own where commits are real (the shared fixtures
roll everything back, so another connection could never see a row): when the response starts,
a second connection fingerprints every table, and the fingerprint must already be the final
one. Routes are enumerated from the app, so a new writing route fails here until it has a
recipe below.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Message, Receive, Scope, Send

from bridge.config import get_settings
from bridge.db import session_scope
from bridge.delivery.models import Delivery, DeliveryState
from bridge.deps import get_session
from bridge.intake import links
from bridge.intake.models import ActivityKind, IntakeItem, IntakeStatus, ItemKind
from bridge.submissions import service as submissions
from tests.bridge.committed import Fingerprint, fingerprint
from tests.conftest import API_KEY
from tests.fakes.fixtures import GOOD_HELLO, HELLO_EXERCISE
from tests.fakes.moodle import FakeMoodle

WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PASSWORD = "correct horse battery staple"
class CommitProbe:
    """ASGI wrapper: fingerprints the database the moment a response starts."""

    def __init__(self, app: FastAPI, engine: Engine) -> None:
        self.app, self.engine = app, engine
        self.armed = False
        self.at_response_start: Fingerprint | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def probing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and self.armed:
                self.at_response_start = fingerprint(self.engine)
            await send(message)

        await self.app(scope, receive, probing_send)


@dataclass
class World:
    """What a recipe sets up with: the API (operator key), a committing session, the site."""

    client: TestClient
    factory: sessionmaker[Session]
    moodle: FakeMoodle
    notes: dict[str, Any] = field(default_factory=dict)

    def session(self) -> Any:
        return session_scope(self.factory)


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    writes: bool = True


@pytest.fixture
def world(committed_engine: Engine, committed_factory: sessionmaker[Session],
          moodle_site: FakeMoodle, redis_client: redis.Redis
          ) -> Iterator[tuple[World, CommitProbe]]:
    from bridge.app import create_app

    factory = committed_factory

    def committing_session() -> Iterator[Session]:
        with session_scope(factory) as session:
            yield session

    app = create_app()
    app.dependency_overrides[get_session] = committing_session
    probe = CommitProbe(app, committed_engine)
    with TestClient(probe, raise_server_exceptions=False) as client:  # type: ignore[arg-type]
        client.headers["X-API-Key"] = API_KEY
        yield World(client, factory, moodle_site), probe


# -- recipes: set up, then the one request that writes ----------------------------------------

def _account(world: World, **fields: Any) -> dict[str, Any]:
    body = {"username": f"u{uuid.uuid4().hex[:8]}", "email": f"{uuid.uuid4().hex[:8]}@x.test",
            "password": PASSWORD, **fields}
    response = world.client.post("/api/v1/auth/accounts", json=body)
    assert response.status_code == 201, response.text
    return response.json() | {"password": PASSWORD}  # type: ignore[no-any-return]


def _signed_in(world: World) -> dict[str, str]:
    account = _account(world)
    response = world.client.post("/api/v1/auth/session",
                                 json={"login": account["username"], "password": PASSWORD})
    assert response.status_code == 200, response.text
    world.client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _exercise(world: World) -> str:
    response = world.client.post("/api/v1/exercises", json={
        "name": "hello", "files": {"exercise.yaml": HELLO_EXERCISE}})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _linked(world: World) -> None:
    with world.session() as session:
        links.link_exercise_yaml(session, site=world.moodle.site, activity=ActivityKind.ASSIGN,
                                 cmid=1, course_id=2, instance_id=1, exercise_yaml=HELLO_EXERCISE)


def _signed(world: World, body: dict[str, Any] | bytes) -> dict[str, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {"content": raw, "headers": world.moodle.sign(raw)}


def _parked_delivery(world: World) -> uuid.UUID:
    _linked(world)
    with world.session() as session:
        link, _ = links.get_link(session, site=world.moodle.site, activity=ActivityKind.ASSIGN,
                                 cmid=1)
        submission = submissions.create(session, exercise_id=link.exercise_id,
                                        files={"hello.py": GOOD_HELLO})
        item = IntakeItem(site=world.moodle.site, kind=ItemKind.ASSIGN_SUBMISSION, course_id=2,
                          cmid=1, instance_id=1, item_id=1, user_id=5, attempt_number=0,
                          submitted_at=1, status=IntakeStatus.FETCHED,
                          submission_id=submission.id)
        session.add(item)
        session.flush()
        delivery = Delivery(item_id=item.id, submission_id=submission.id, grading_round=1,
                            state=DeliveryState.PARKED, attempts=8)
        session.add(delivery)
        session.flush()
        return delivery.id


def _notification(world: World) -> bytes:
    sub = world.moodle.add_submission(1, 5, {"hello.py": GOOD_HELLO})
    return world.moodle.notification_body(sub)


RECIPES: dict[tuple[str, str], Callable[[World], Call]] = {}


def recipe(method: str, path: str) -> Callable[[Callable[[World], Call]], Callable[[World], Call]]:
    """Register how to make one successful request to the route `method path`."""
    def register(make: Callable[[World], Call]) -> Callable[[World], Call]:
        RECIPES[(method, path)] = make
        return make
    return register


@recipe("POST", "/api/v1/auth/session")
def _sign_in(w: World) -> Call:
    login = _account(w)["username"]
    return Call("POST", "/api/v1/auth/session", {"json": {"login": login, "password": PASSWORD}})


@recipe("POST", "/api/v1/auth/login")
def _sign_in_form(w: World) -> Call:
    login = _account(w)["username"]
    return Call("POST", "/api/v1/auth/login", {
        "data": {"login": login, "password": PASSWORD},
        "headers": {"Origin": get_settings().public_url}, "follow_redirects": False})


@recipe("DELETE", "/api/v1/auth/session")
def _sign_out(w: World) -> Call:
    return Call("DELETE", "/api/v1/auth/session", writes=False)  # drops the cookie only


@recipe("POST", "/api/v1/auth/moodle/enter")
def _enter_moodle(w: World) -> Call:
    headers = _signed_in(w) | {"Origin": get_settings().public_url}
    return Call("POST", "/api/v1/auth/moodle/enter", {"headers": headers})


@recipe("POST", "/api/v1/auth/accounts")
def _create_account(w: World) -> Call:
    return Call("POST", "/api/v1/auth/accounts",
                {"json": {"username": "newcomer", "email": "newcomer@x.test"}})


@recipe("PUT", "/api/v1/auth/accounts/by-external-id/{external_id}")
def _upsert_account(w: World) -> Call:
    return Call("PUT", "/api/v1/auth/accounts/by-external-id/reg-42",
                {"json": {"username": "registered", "email": "registered@x.test"}})


@recipe("POST", "/api/v1/auth/accounts/{account_id}/suspend")
def _suspend(w: World) -> Call:
    return Call("POST", f"/api/v1/auth/accounts/{_account(w)['id']}/suspend")


@recipe("POST", "/api/v1/auth/accounts/{account_id}/reactivate")
def _reactivate(w: World) -> Call:
    account_id = _account(w)["id"]
    assert w.client.post(f"/api/v1/auth/accounts/{account_id}/suspend").status_code == 200
    return Call("POST", f"/api/v1/auth/accounts/{account_id}/reactivate")


@recipe("PUT", "/api/v1/auth/accounts/{account_id}/enrolments")
def _enrol(w: World) -> Call:
    return Call("PUT", f"/api/v1/auth/accounts/{_account(w)['id']}/enrolments",
                {"json": {"enrolments": [{"course_id": 2}]}})


@recipe("POST", "/api/v1/auth/keys/rotate")
def _rotate(w: World) -> Call:
    return Call("POST", "/api/v1/auth/keys/rotate", {"json": {"alg": "ES256"}})


@recipe("POST", "/api/v1/exercises")
def _create_exercise(w: World) -> Call:
    return Call("POST", "/api/v1/exercises",
                {"json": {"name": "hello", "files": {"exercise.yaml": HELLO_EXERCISE}}})


@recipe("POST", "/api/v1/exercises/{exercise_id}/versions")
def _add_version(w: World) -> Call:
    return Call("POST", f"/api/v1/exercises/{_exercise(w)}/versions",
                {"json": {"files": {"exercise.yaml": HELLO_EXERCISE}}})


@recipe("POST", "/api/v1/exercises/validate")
def _validate(w: World) -> Call:
    return Call("POST", "/api/v1/exercises/validate",
                {"json": {"files": {"exercise.yaml": HELLO_EXERCISE}}}, writes=False)


@recipe("POST", "/api/v1/submissions")
def _submit(w: World) -> Call:
    return Call("POST", "/api/v1/submissions", {"json": {
        "exercise_id": _exercise(w), "files": {"hello.py": GOOD_HELLO.decode()}}})


@recipe("POST", "/api/v1/intake/notifications")
def _notify(w: World) -> Call:
    return Call("POST", "/api/v1/intake/notifications", _signed(w, _notification(w)))


@recipe("POST", "/api/v1/intake/exercises")
def _exercise_form(w: World) -> Call:
    return Call("POST", "/api/v1/intake/exercises", _signed(w, {
        "schema": 1, "site": w.moodle.site, "course_id": 2, "cmid": 1, "kind": "assign",
        "instance_id": 1, "exercise_yaml": HELLO_EXERCISE}))


@recipe("POST", "/api/v1/intake/exercises/archive")
def _exercise_download(w: World) -> Call:
    _linked(w)  # a read, but its signature is remembered (a replay is refused)
    return Call("POST", "/api/v1/intake/exercises/archive",
                _signed(w, w.moodle.exercise_download_body(1)))


@recipe("PUT", "/api/v1/sites/{site}/assignments/{cmid}/exercise")
def _link(w: World) -> Call:
    return Call("PUT", f"/api/v1/sites/{w.moodle.site}/assignments/1/exercise", {"json": {
        "course_id": 2, "instance_id": 1, "files": {"exercise.yaml": HELLO_EXERCISE}}})


@recipe("DELETE", "/api/v1/sites/{site}/assignments/{cmid}/exercise")
def _unlink(w: World) -> Call:
    _linked(w)
    return Call("DELETE", f"/api/v1/sites/{w.moodle.site}/assignments/1/exercise")


@recipe("POST", "/api/v1/sites/{site}/assignments/{cmid}/regrade")
def _regrade(w: World) -> Call:
    _linked(w)
    return Call("POST", f"/api/v1/sites/{w.moodle.site}/assignments/1/regrade")


QUIZ = "/api/v1/sites/{site}/quizzes/9/questions/31"


def _question_link(w: World) -> Call:
    return Call("PUT", QUIZ.format(site=w.moodle.site) + "/exercise", {"json": {
        "course_id": 2, "instance_id": 4, "question_id": 41,
        "files": {"exercise.yaml": HELLO_EXERCISE}}})


@recipe("PUT", "/api/v1/sites/{site}/quizzes/{cmid}/questions/{bank_entry_id}/exercise")
def _link_question(w: World) -> Call:
    return _question_link(w)


def _question_linked(w: World) -> None:
    call = _question_link(w)
    response = w.client.request(call.method, call.url, **call.kwargs)
    assert response.status_code == 200, response.text


@recipe("DELETE", "/api/v1/sites/{site}/quizzes/{cmid}/questions/{bank_entry_id}/exercise")
def _unlink_question(w: World) -> Call:
    _question_linked(w)
    return Call("DELETE", QUIZ.format(site=w.moodle.site) + "/exercise")


@recipe("POST", "/api/v1/sites/{site}/quizzes/{cmid}/questions/{bank_entry_id}/regrade")
def _regrade_question(w: World) -> Call:
    _question_linked(w)
    return Call("POST", QUIZ.format(site=w.moodle.site) + "/regrade")


def _question(w: World, path: str, **fields: Any) -> Call:
    """A teacher's signed question: its signature is remembered (a replay is refused)."""
    return Call("POST", f"/api/v1/intake/{path}", _signed(w, {
        "schema": 1, "site": w.moodle.site, "nonce": uuid.uuid4().hex, **fields}))


@recipe("POST", "/api/v1/intake/ping")
def _ping(w: World) -> Call:
    return _question(w, "ping")


@recipe("POST", "/api/v1/intake/regrades")
def _regrade_from_moodle(w: World) -> Call:
    _linked(w)
    return _question(w, "regrades", kind="assign", cmid=1, requested_by=2)


@recipe("POST", "/api/v1/intake/regrades/read")
def _read_regrade(w: World) -> Call:
    _linked(w)
    assert w.client.post(f"/api/v1/sites/{w.moodle.site}/assignments/1/regrade"
                         ).status_code == 202
    return _question(w, "regrades/read", kind="assign", cmid=1)


@recipe("POST", "/api/v1/intake/history")
def _read_history(w: World) -> Call:
    return _question(w, "history", user_id=5)


@recipe("POST", "/api/v1/intake/results")
def _read_results(w: World) -> Call:
    return _question(w, "results", kind="assign", cmid=1, format="csv")


@recipe("POST", "/api/v1/intake/results/pass-rates")
def _read_pass_rates(w: World) -> Call:
    return _question(w, "results/pass-rates", kind="assign", cmid=1)


@recipe("POST", "/api/v1/intake/states")
def _read_states(w: World) -> Call:
    return _question(w, "states", items=[{"kind": "assign_submission", "cmid": 1, "user_id": 5}])


@recipe("POST", "/api/v1/intake/failures")
def _read_failures(w: World) -> Call:
    return _question(w, "failures", since=0)


def _failed_item(w: World) -> uuid.UUID:
    with w.session() as session:
        item = IntakeItem(site=w.moodle.site, kind=ItemKind.ASSIGN_SUBMISSION, course_id=2,
                          cmid=1, instance_id=1, item_id=1, user_id=5, attempt_number=0,
                          submitted_at=1, status=IntakeStatus.FAILED, error="nopermissions")
        session.add(item)
        session.flush()
        return item.id


@recipe("POST", "/api/v1/items/{item_id}/refetch")
def _refetch_item(w: World) -> Call:
    return Call("POST", f"/api/v1/items/{_failed_item(w)}/refetch")


@recipe("POST", "/api/v1/intake/items/refetch")
def _refetch_for_teacher(w: World) -> Call:
    _failed_item(w)
    return _question(w, "items/refetch", kind="assign_submission", cmid=1, user_id=5,
                     requested_by=2)


@recipe("POST", "/api/v1/deliveries/{delivery_id}/retry")
def _retry_delivery(w: World) -> Call:
    return Call("POST", f"/api/v1/deliveries/{_parked_delivery(w)}/retry")


def writing_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route that takes POST, PUT, PATCH or DELETE."""
    return {(method, str(context.path))
            for context in iter_route_contexts(app.routes)
            for method in (context.methods or set()) & WRITING_METHODS}


def test_every_writing_route_has_a_recipe() -> None:
    from bridge.app import create_app

    assert writing_routes(create_app()) == set(RECIPES)


def test_every_route_commits_its_session_before_answering() -> None:
    """Structural: wherever the request session is used, it is function-scoped."""
    from bridge.app import create_app

    def scopes(dependant: Any) -> Iterator[str | None]:
        for sub in dependant.dependencies:
            if sub.call is get_session:
                yield sub.scope
            yield from scopes(sub)

    found = {}
    for context in iter_route_contexts(create_app().routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            found[route.path] = set(scopes(route.dependant))
    assert any(found.values())
    assert {path: s for path, s in found.items() if s - {"function"}} == {}


@pytest.mark.parametrize("route", sorted(RECIPES), ids=" ".join)
def test_rows_are_committed_when_the_answer_starts(
        route: tuple[str, str], world: tuple[World, CommitProbe],
        committed_engine: Engine) -> None:
    state, probe = world
    call = RECIPES[route](state)
    before = fingerprint(committed_engine)
    probe.armed = True
    response = state.client.request(call.method, call.url, **call.kwargs)
    probe.armed = False
    assert response.status_code < 400, response.text
    after = fingerprint(committed_engine)
    assert probe.at_response_start == after  # nothing was committed after the answer began
    assert (after != before) is call.writes


@pytest.mark.parametrize("route", sorted(r for r in RECIPES if r not in {
    ("DELETE", "/api/v1/auth/session"), ("POST", "/api/v1/exercises/validate")}), ids=" ".join)
def test_a_failed_commit_is_an_error_and_changes_nothing(
        route: tuple[str, str], world: tuple[World, CommitProbe], committed_engine: Engine,
        redis_client: redis.Redis) -> None:
    state, _ = world
    call = RECIPES[route](state)
    before = fingerprint(committed_engine)
    queued = {key: redis_client.llen(key) for key in (b"grading", b"moodle")}

    def refuse(connection: Any) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("the commit failed (test)"))

    sa.event.listen(committed_engine, "commit", refuse)
    try:
        response = state.client.request(call.method, call.url, **call.kwargs)
    finally:
        sa.event.remove(committed_engine, "commit", refuse)
    # The database refused: a retry is safe, and nothing of the driver's message is echoed.
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"] == "database_unavailable"
    assert "COMMIT" not in response.text
    assert fingerprint(committed_engine) == before
    assert {key: redis_client.llen(key) for key in queued} == queued  # no job was sent
