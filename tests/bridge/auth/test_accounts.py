"""Accounts: the admin API and who may call it, password sign-in, throttling and lockout."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.auth import service
from bridge.auth.models import Account, AccountRole, AccountStatus
from bridge.auth.sign_in import sign_in as check_sign_in
from bridge.config import get_settings
from bridge.db import utcnow

from .conftest import PASSWORD, MakeAccount, sign_in, within

ACCOUNTS = "/api/v1/auth/accounts"
SESSION = "/api/v1/auth/session"
NEW = {"username": "new.person", "email": "new.person@example.test", "given_name": "New",
       "family_name": "Person", "password": "a long enough password"}


def admin_calls(account_id: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", ACCOUNTS, None),
        ("POST", ACCOUNTS, NEW),
        ("PUT", f"{ACCOUNTS}/by-external-id/reg-42", NEW),
        ("GET", f"{ACCOUNTS}/{account_id}", None),
        ("POST", f"{ACCOUNTS}/{account_id}/suspend", None),
        ("PUT", f"{ACCOUNTS}/{account_id}/enrolments", {"enrolments": [{"course_id": 2}]}),
        ("GET", "/api/v1/auth/keys", None),
        ("POST", "/api/v1/auth/keys/rotate", {"alg": "ES256"}),
    ]


@pytest.mark.parametrize("caller", ["nobody", "wrong_api_key", "student", "teacher"])
def test_the_admin_api_refuses_non_administrators(
    caller: str, anon: TestClient, make_account: MakeAccount
) -> None:
    target = make_account()
    headers: dict[str, str] = {}
    if caller == "wrong_api_key":
        headers = {"X-API-Key": "not-the-key"}
    elif caller in ("student", "teacher"):
        headers = sign_in(anon, make_account(AccountRole(caller)).username)
    expected = 403 if caller in ("student", "teacher") else 401

    for method, url, body in admin_calls(str(target.id)):
        response = anon.request(method, url, json=body, headers=headers)
        assert response.status_code == expected, (method, url, response.text)


@pytest.mark.parametrize("caller", ["api_key", "api_key_bearer", "admin"])
def test_the_admin_api_serves_administrators(
    caller: str, anon: TestClient, make_account: MakeAccount
) -> None:
    target = make_account()
    if caller == "admin":
        headers = sign_in(anon, make_account(AccountRole.ADMIN).username)
    else:
        key = get_settings().api_key.get_secret_value()
        headers = {"X-API-Key": key} if caller == "api_key" else {"Authorization": f"Bearer {key}"}

    for method, url, body in admin_calls(str(target.id)):
        response = anon.request(method, url, json=body, headers=headers)
        assert response.status_code in (200, 201), (method, url, response.text)


def test_create_list_suspend_and_enrol(client: TestClient, make_account: MakeAccount) -> None:
    created = client.post(ACCOUNTS, json={**NEW, "role": "teacher", "external_id": "reg-1",
                                          "enrolments": [{"course_id": 5, "role": "teacher"}]})
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["status"] == "active" and account["role"] == "teacher"
    assert account["enrolments"] == [{"course_id": 5, "role": "teacher"}]
    assert "password" not in created.text and "argon2" not in created.text
    assert client.post(ACCOUNTS, json=NEW).status_code == 409
    make_account(courses=(5, 6))

    teachers = client.get(ACCOUNTS, params={"role": "teacher"}).json()
    assert [a["id"] for a in teachers] == [account["id"]]
    everyone = client.get(ACCOUNTS).json()
    assert [a["enrolments"] for a in everyone][1] == [
        {"course_id": 5, "role": "student"}, {"course_id": 6, "role": "student"}]

    suspended = client.post(f"{ACCOUNTS}/{account['id']}/suspend").json()
    assert suspended["status"] == "suspended"
    assert [a["id"] for a in client.get(ACCOUNTS, params={"status": "suspended"}).json()] == [
        account["id"]]
    assert client.post(f"{ACCOUNTS}/{account['id']}/reactivate").json()["status"] == "active"
    enrolled = client.put(f"{ACCOUNTS}/{account['id']}/enrolments",
                          json={"enrolments": [{"course_id": 9}, {"course_id": 9}]}).json()
    assert enrolled["enrolments"] == [{"course_id": 9, "role": "student"}]
    assert client.get(f"{ACCOUNTS}/00000000-0000-4000-8000-000000000000").status_code == 404


def test_upsert_by_external_id_is_idempotent(client: TestClient,
                                             make_account: MakeAccount) -> None:
    url = f"{ACCOUNTS}/by-external-id/reg-7"
    body = {**NEW, "enrolments": [{"course_id": 3}]}

    first = client.put(url, json=body)
    again = client.put(url, json=body)
    renamed = client.put(url, json={**NEW, "email": "renamed@example.test"})

    assert (first.status_code, again.status_code, renamed.status_code) == (201, 200, 200)
    assert first.json()["id"] == again.json()["id"] == renamed.json()["id"]
    assert renamed.json()["email"] == "renamed@example.test"
    assert renamed.json()["enrolments"] == [{"course_id": 3, "role": "student"}]
    # An account made by hand is linked by its email; another person's email is a conflict.
    by_hand = make_account(email="linked@example.test", username="linked")
    linked = client.put(f"{ACCOUNTS}/by-external-id/reg-8",
                        json={**NEW, "username": "linked", "email": "linked@example.test"})
    assert linked.status_code == 200 and linked.json()["id"] == str(by_hand.id)
    taken = client.put(f"{ACCOUNTS}/by-external-id/reg-9",
                       json={**NEW, "username": "x", "email": "renamed@example.test"})
    assert taken.status_code == 409


def test_usernames_must_suit_moodle(client: TestClient) -> None:
    assert client.post(ACCOUNTS, json={**NEW, "username": "Has Space"}).status_code == 422
    assert client.post(ACCOUNTS, json={**NEW, "email": "not-an-email"}).status_code == 422
    assert client.post(ACCOUNTS, json={**NEW, "password": "short"}).status_code == 422
    assert client.post(ACCOUNTS, json={**NEW, "username": "MiXed"}).json()["username"] == "mixed"


def test_sign_in_starts_a_session(anon: TestClient, make_account: MakeAccount) -> None:
    account = make_account()

    response = anon.post(SESSION, json={"login": account.email.upper(), "password": PASSWORD})

    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("bridge_session=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Max-Age=3600" in cookie
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["account"]["id"] == str(account.id)
    # The cookie alone is enough for a browser.
    assert anon.get("/api/v1/auth/me").json()["username"] == account.username
    assert anon.delete(SESSION).status_code == 204
    assert anon.get("/api/v1/auth/me").status_code == 401


def test_passwords_are_hashed_with_argon2_and_never_logged(
    anon: TestClient, session: Session, make_account: MakeAccount,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    account = make_account()
    anon.post(SESSION, json={"login": account.username, "password": PASSWORD})
    anon.post(SESSION, json={"login": account.username, "password": PASSWORD + "!"})

    stored = session.scalars(select(Account.password_hash).where(Account.id == account.id)).one()
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in caplog.text and stored not in caplog.text
    assert stored not in repr(account)


def test_wrong_passwords_lock_the_account(anon: TestClient, session: Session,
                                          make_account: MakeAccount) -> None:
    settings = get_settings()
    account = make_account()
    wrong = {"login": account.username, "password": "wrong password"}

    codes = [anon.post(SESSION, json=wrong).status_code
             for _ in range(settings.login_max_failures)]
    locked = anon.post(SESSION, json={"login": account.username, "password": PASSWORD})

    assert codes == [401] * (settings.login_max_failures - 1) + [429]
    assert locked.status_code == 429 and locked.json()["error"] == "account_locked"
    assert 0 < int(locked.headers["retry-after"]) <= settings.login_lockout_s
    # Committed although every answer was a refusal.
    session.expire_all()
    assert session.get(Account, account.id).locked_until is not None  # type: ignore[union-attr]

    later = utcnow() + timedelta(seconds=settings.login_lockout_s + 1)
    signed = check_sign_in(within(session), login=account.username, password=PASSWORD,
                             ip="192.0.2.1", now=later)
    assert signed.id == account.id and signed.failed_logins == 0


def test_one_address_is_throttled_across_accounts(anon: TestClient,
                                                  make_account: MakeAccount) -> None:
    settings = get_settings()
    account = make_account()
    for n in range(settings.login_ip_max_failures):
        refused = anon.post(SESSION, json={"login": f"nobody{n}", "password": "guess"})
        assert refused.status_code == 401

    throttled = anon.post(SESSION, json={"login": account.username, "password": PASSWORD})

    assert throttled.status_code == 429 and throttled.json()["error"] == "too_many_attempts"
    assert 0 < int(throttled.headers["retry-after"]) <= settings.login_ip_window_s


def test_another_address_is_not_throttled(session: Session, make_account: MakeAccount) -> None:
    settings = get_settings()
    account = make_account()
    for n in range(settings.login_ip_max_failures):
        with pytest.raises(service.InvalidCredentials):
            check_sign_in(within(session), login=f"nobody{n}", password="x", ip="198.51.100.7")
    with pytest.raises(service.Throttled):
        check_sign_in(within(session), login=account.username, password=PASSWORD, ip="198.51.100.7")

    assert check_sign_in(within(session), login=account.username, password=PASSWORD,
                           ip="198.51.100.8").id == account.id
    later = utcnow() + timedelta(seconds=settings.login_ip_window_s + 1)
    assert check_sign_in(within(session), login=account.username, password=PASSWORD,
                           ip="198.51.100.7", now=later).id == account.id


def test_suspended_accounts_cannot_sign_in_and_lose_their_sessions(
    anon: TestClient, session: Session, make_account: MakeAccount
) -> None:
    account = make_account()
    headers = sign_in(anon, account.username)
    service.set_status(session, account_id=account.id, status=AccountStatus.SUSPENDED)
    session.commit()

    assert anon.get("/api/v1/auth/me", headers=headers).status_code == 401
    refused = anon.post(SESSION, json={"login": account.username, "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"] == "account_suspended"
    # A wrong password says nothing about the suspension.
    assert anon.post(SESSION, json={"login": account.username, "password": "x"}).status_code == 401


def test_accounts_without_a_password_cannot_sign_in(anon: TestClient,
                                                    make_account: MakeAccount) -> None:
    account = make_account(password=None)
    response = anon.post(SESSION, json={"login": account.username, "password": ""})
    assert response.status_code == 422
    response = anon.post(SESSION, json={"login": account.username, "password": "anything"})
    assert response.status_code == 401


def test_session_tokens_are_not_sso_tokens(anon: TestClient, make_account: MakeAccount) -> None:
    import jwt

    account = make_account()
    token = sign_in(anon, account.username)["Authorization"].removeprefix("Bearer ")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256" and header["typ"] != "JWT"
    assert claims["aud"] == "bridge-session" and claims["exp"] - claims["iat"] == 3600
