"""Entering Moodle: the token the bridge mints, and the page that carries it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session

from bridge.auth import service, signing_keys
from bridge.auth.models import AccountRole, AccountStatus, CourseRole
from bridge.auth.schemas import EnrolmentIn
from bridge.auth.verify import StaticJwks, Verifier
from bridge.config import get_settings
from bridge.db import utcnow

from .conftest import MakeAccount, sign_in, token_from_page

ENTER = "/api/v1/auth/moodle/enter"


def jwks(client: TestClient) -> dict:
    response = client.get("/api/v1/auth/jwks.json")
    assert response.status_code == 200
    return response.json()


def verify_with_pyjwt(token: str, document: dict) -> dict:
    """What any standard library does with the published JWKS, at the real current time."""
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWKSet.from_dict(document)[header["kid"]]
    settings = get_settings()
    return jwt.decode(token, key, algorithms=["RS256", "ES256"], audience=settings.moodle_url,
                      issuer=settings.jwt_issuer,
                      options={"require": ["iss", "aud", "sub", "exp", "iat", "nbf", "jti"]})


def test_enter_mints_a_token_moodle_accepts(anon: TestClient, make_account: MakeAccount) -> None:
    account = make_account(courses=(7,), given_name="Grace", family_name="Hopper")
    headers = sign_in(anon, account.username)

    response = anon.get(ENTER, params={"course": 7}, headers=headers)

    assert response.status_code == 200
    token = token_from_page(response.text)
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    published = jwks(anon)
    assert header["kid"] in {k["kid"] for k in published["keys"]}
    claims = verify_with_pyjwt(token, published)
    settings = get_settings()
    assert claims["iss"] == settings.jwt_issuer
    assert claims["aud"] == settings.moodle_url
    assert claims["sub"] == str(account.id)
    assert claims["preferred_username"] == account.username
    assert claims["email"] == account.email
    assert (claims["given_name"], claims["family_name"]) == ("Grace", "Hopper")
    assert claims["nbf"] == claims["iat"]
    assert 0 < claims["exp"] - claims["iat"] <= 60
    assert abs(claims["iat"] - utcnow().timestamp()) < 5
    assert uuid.UUID(claims["jti"])
    assert claims["course_id"] == 7 and claims["enrol"] is True


def test_the_token_passes_the_same_checks_as_the_moodle_plugin(
    anon: TestClient, make_account: MakeAccount
) -> None:
    account = make_account()
    headers = sign_in(anon, account.username)
    token = token_from_page(anon.post(ENTER, headers=headers).text)
    settings = get_settings()

    verifier = Verifier(StaticJwks(jwks(anon)), settings.jwt_issuer, settings.moodle_url)
    claims = verifier.verify(token)

    assert "course_id" not in claims and "enrol" not in claims
    with pytest.raises(Exception, match="replayed_jti"):
        verifier.verify(token)


def test_enrol_only_for_the_courses_the_account_studies_in(
    session: Session, make_account: MakeAccount
) -> None:
    student = make_account(courses=(3,))
    teacher = make_account(AccountRole.TEACHER)
    service.set_enrolments(session, account_id=teacher.id,
                           enrolments=[EnrolmentIn(course_id=3, role=CourseRole.TEACHER)])

    def claims(account, course):  # type: ignore[no-untyped-def]
        token = signing_keys.mint_moodle_token(session, account=account, course_id=course)
        return jwt.decode(token, options={"verify_signature": False})

    assert claims(student, 3)["enrol"] is True
    assert claims(student, 4)["enrol"] is False
    assert claims(teacher, 3)["enrol"] is False


def test_every_token_is_unique_and_counted(session: Session, make_account: MakeAccount) -> None:
    account = make_account()
    before = REGISTRY.get_sample_value("bridge_tokens_issued_total", {"alg": "RS256"}) or 0.0

    tokens = [signing_keys.mint_moodle_token(session, account=account) for _ in range(3)]

    jtis = {jwt.decode(t, options={"verify_signature": False})["jti"] for t in tokens}
    assert len(jtis) == 3
    assert REGISTRY.get_sample_value("bridge_tokens_issued_total", {"alg": "RS256"}) == before + 3


def test_es256_tokens(anon: TestClient, session: Session, make_account: MakeAccount) -> None:
    now = utcnow()
    signing_keys.rotate_keys(session, alg="ES256", now=now - timedelta(hours=1))
    session.commit()
    account = make_account()

    token = token_from_page(anon.get(ENTER, headers=sign_in(anon, account.username)).text)

    assert jwt.get_unverified_header(token)["alg"] == "ES256"
    assert verify_with_pyjwt(token, jwks(anon))["sub"] == str(account.id)


def test_the_page_posts_the_token_and_leaks_it_nowhere(
    anon: TestClient, make_account: MakeAccount
) -> None:
    account = make_account()
    response = anon.get(ENTER, params={"course": 2}, headers=sign_in(anon, account.username))
    token = token_from_page(response.text)
    moodle = get_settings().moodle_url

    form = re.search(r'<form id="moodle-sso" method="post" action="([^"]+)">', response.text)
    assert form and form.group(1) == f"{moodle}/auth/jwtsso/login.php"
    assert token not in form.group(1)
    assert response.text.count(token) == 1
    assert all(token not in value for value in response.headers.values())
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    csp = response.headers["content-security-policy"]
    assert f"form-action {moodle};" in csp and "default-src 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    script = anon.get("/api/v1/auth/moodle/autosubmit.js")
    assert script.status_code == 200 and "moodle-sso" in script.text


def test_entering_needs_an_active_signed_in_account(
    anon: TestClient, session: Session, make_account: MakeAccount
) -> None:
    assert anon.get(ENTER).status_code == 401
    assert anon.get(ENTER, headers={"Authorization": "Bearer not-a-session"}).status_code == 401
    account = make_account()
    headers = sign_in(anon, account.username)
    service.set_status(session, account_id=account.id, status=AccountStatus.SUSPENDED)
    session.commit()

    assert anon.get(ENTER, headers=headers).status_code == 401
    with pytest.raises(service.AccountSuspended):
        signing_keys.mint_moodle_token(session, account=account)


def test_a_course_id_must_be_positive(anon: TestClient, make_account: MakeAccount) -> None:
    account = make_account()
    headers = sign_in(anon, account.username)
    assert anon.get(ENTER, params={"course": 0}, headers=headers).status_code == 422
    assert anon.get(ENTER, params={"course": "x"}, headers=headers).status_code == 422


def test_the_api_key_is_not_a_user(client: TestClient) -> None:
    assert client.get(ENTER).status_code == 401
