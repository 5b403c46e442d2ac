"""Accounts and callers for the auth tests, made through the real services and API."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from bridge.auth import service
from bridge.auth.models import Account, AccountRole
from bridge.auth.schemas import AccountCreate, EnrolmentIn
from bridge.auth.sign_in import Transactions

PASSWORD = "correct horse battery staple"
MakeAccount = Callable[..., Account]


@pytest.fixture
def make_account(session: Session) -> MakeAccount:
    """Create (and commit to the test's savepoint) an account with PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(role: AccountRole = AccountRole.STUDENT, *, courses: tuple[int, ...] = (),
             password: str | None = PASSWORD, **fields: Any) -> Account:
        n = next(counter)
        data = AccountCreate(
            username=fields.pop("username", f"{role.value}{n}"),
            email=fields.pop("email", f"{role.value}{n}@example.test"),
            given_name=fields.pop("given_name", "Ada"), family_name=fields.pop("family_name", "Lovelace"),
            role=role, password=password,
            enrolments=[EnrolmentIn(course_id=c) for c in courses], **fields,
        )
        account = service.create_account(session, data=data)
        session.commit()
        return account

    return make


def within(session: Session) -> Transactions:
    """Every step of a sign-in in the test's own session (the test's rollback undoes them)."""
    return lambda: nullcontext(session)


@pytest.fixture
def anon(client: TestClient) -> Iterator[TestClient]:
    """The test client without the operator API key."""
    del client.headers["X-API-Key"]
    yield client


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in through the API; the bearer header for later calls (the cookie jar is cleared)."""
    response = client.post("/api/v1/auth/session", json={"login": login, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def token_from_page(html: str) -> str:
    """The token in the auto-submitted form."""
    match = re.search(r'<input type="hidden" name="token" value="([A-Za-z0-9_.-]+)">', html)
    assert match, html
    return match.group(1)
