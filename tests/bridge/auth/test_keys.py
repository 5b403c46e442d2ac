"""Signing keys: publish-ahead rotation, overlapping validity, encryption at rest, the JWKS."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bridge.auth import jwk, signing_keys
from bridge.auth.models import SigningKey
from bridge.auth.signing_keys import RETIRED_GRACE_S, KeyState
from bridge.auth.verify import StaticJwks, TokenRejected, Verifier
from bridge.config import get_settings
from bridge.migrate import upgrade

from .conftest import MakeAccount

JWKS = "/api/v1/auth/jwks.json"
T0 = datetime.fromisoformat("2026-03-01T12:00:00+00:00")


def kids(session: Session, now: datetime) -> set[str]:
    return {k["kid"] for k in signing_keys.published_jwks(session, now=now)}


def signing_kid(session: Session, now: datetime) -> str:
    return signing_keys.active_key(session, now=now)[0].kid


def verifier_at(session: Session, when: datetime, jwks_at: datetime | None = None) -> Verifier:
    """auth_jwtsso's checks at `when`, with the JWKS it fetched at `jwks_at`."""
    settings = get_settings()
    document = {"keys": signing_keys.published_jwks(session, now=jwks_at or when)}
    return Verifier(StaticJwks(document), settings.jwt_issuer, settings.moodle_url,
                    clock=lambda: when.timestamp())


def test_first_key_signs_at_once_later_keys_are_published_ahead(session: Session) -> None:
    first = signing_keys.rotate_keys(session, now=T0)
    assert first.state is KeyState.ACTIVE

    second = signing_keys.rotate_keys(session, alg="ES256", now=T0 + timedelta(minutes=5))

    assert second.state is KeyState.NEXT
    ahead = (second.key.activates_at - second.key.created_at).total_seconds()
    assert ahead >= get_settings().jwks_max_age_s
    assert kids(session, T0 + timedelta(minutes=5)) == {first.key.kid, second.key.kid}
    assert signing_kid(session, T0 + timedelta(minutes=5)) == first.key.kid
    assert signing_kid(session, second.key.activates_at) == second.key.kid


def test_rotation_never_breaks_a_valid_token(session: Session, make_account: MakeAccount) -> None:
    account = make_account()
    old = signing_keys.rotate_keys(session, now=T0)
    rotated_at = T0 + timedelta(hours=1)
    new = signing_keys.rotate_keys(session, now=rotated_at)
    last_old_sign = new.key.activates_at - timedelta(seconds=1)
    token = signing_keys.mint_moodle_token(session, account=account, now=last_old_sign)
    assert jwt.get_unverified_header(token)["kid"] == old.key.kid
    exp = last_old_sign + timedelta(seconds=get_settings().token_ttl_s)

    # Still valid after the new key took over, with a JWKS fetched then or at any time since
    # the old key was published.
    for fetched in (T0, rotated_at, new.key.activates_at, exp):
        claims = verifier_at(session, exp - timedelta(seconds=1), jwks_at=fetched).verify(token)
        assert claims["sub"] == str(account.id)
    assert signing_keys.key_states([old.key, new.key], now=exp)[0].state is KeyState.RETIRED


def test_retired_keys_leave_only_after_their_tokens_expired(session: Session) -> None:
    old = signing_keys.rotate_keys(session, now=T0)
    new = signing_keys.rotate_keys(session, now=T0 + timedelta(hours=1))
    ttl = get_settings().token_ttl_s
    retired = next(v for v in signing_keys.list_keys(session, now=new.key.activates_at)
                   if v.key.kid == old.key.kid)
    assert retired.state is KeyState.RETIRED
    assert retired.retired_at == new.key.activates_at
    assert retired.unpublish_at == new.key.activates_at + timedelta(seconds=ttl + RETIRED_GRACE_S)
    # Signed one second before the switch, it expires ttl s later; verifiers allow leeway.
    latest_exp = new.key.activates_at + timedelta(seconds=ttl)

    assert old.key.kid in kids(session, latest_exp + timedelta(seconds=30))
    assert old.key.kid in kids(session, retired.unpublish_at - timedelta(seconds=1))
    assert old.key.kid not in kids(session, retired.unpublish_at)

    # The next rotation deletes it; the key after that is published, the new one still signs.
    later = retired.unpublish_at + timedelta(days=30)
    third = signing_keys.rotate_keys(session, now=later)
    stored = {k.kid for k in session.scalars(select(SigningKey))}
    assert stored == {new.key.kid, third.key.kid}


def test_there_is_never_a_moment_moodle_cannot_verify(session: Session) -> None:
    max_age = timedelta(seconds=get_settings().jwks_max_age_s)
    signing_keys.rotate_keys(session, now=T0)
    rotations = [T0 + timedelta(minutes=m) for m in (30, 33, 40, 120)]
    for at, alg in zip(rotations, ("ES256", "RS256", "ES256", "RS256"), strict=True):
        signing_keys.rotate_keys(session, alg=alg, now=at)

    moment = T0
    while moment < rotations[-1] + timedelta(hours=1):
        signer = signing_kid(session, moment)
        # In the JWKS served now, and in one served a whole cache lifetime ago.
        assert signer in kids(session, moment), moment
        if moment - max_age >= T0:
            assert signer in kids(session, moment - max_age), moment
        moment += timedelta(seconds=15)


def test_tokens_of_an_unknown_key_are_refused(session: Session, make_account: MakeAccount) -> None:
    account = make_account()
    old = signing_keys.rotate_keys(session, now=T0)
    token = signing_keys.mint_moodle_token(session, account=account, now=T0)
    new = signing_keys.rotate_keys(session, now=T0 + timedelta(hours=1))
    gone = new.key.activates_at + timedelta(days=1)
    signing_keys.rotate_keys(session, now=gone)

    with pytest.raises(TokenRejected) as refused:
        verifier_at(session, gone).verify(token)
    assert refused.value.code == "unknown_kid"
    assert old.key.kid not in kids(session, gone)


def test_private_keys_are_encrypted_at_rest(session: Session) -> None:
    for alg in ("RS256", "ES256"):
        signing_keys.rotate_keys(session, alg=alg)
    session.flush()
    secret = get_settings().secret_key.get_secret_value()

    rows = session.execute(text("SELECT kid, private_key_encrypted FROM signing_keys")).all()
    assert len(rows) == 2
    for kid, stored in rows:
        stored = bytes(stored)
        private = jwk.decrypt_private_key(stored, kid=kid, secret=secret)
        pem = private.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        der = private.private_bytes(serialization.Encoding.DER,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        assert b"PRIVATE KEY" not in stored and pem not in stored and der not in stored
        with pytest.raises(jwk.KeyDecryptionError):
            jwk.decrypt_private_key(stored, kid=kid, secret=secret + "x")
        with pytest.raises(jwk.KeyDecryptionError):
            jwk.decrypt_private_key(stored, kid="another-kid", secret=secret)
        tampered = stored[:-1] + bytes([stored[-1] ^ 1])
        with pytest.raises(jwk.KeyDecryptionError):
            jwk.decrypt_private_key(tampered, kid=kid, secret=secret)


def test_kid_is_the_rfc7638_thumbprint() -> None:
    # RFC 7638 section 3.1's example key and thumbprint.
    n = ("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
         "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
         "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWh"
         "AI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")
    assert jwk.thumbprint({"e": "AQAB", "kty": "RSA", "n": n}) == (
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    private = jwk.generate_private_key("ES256")
    public = jwk.public_jwk(private)
    assert public["kid"] == jwk.thumbprint({m: public[m] for m in ("crv", "kty", "x", "y")})


def test_jwks_publishes_public_keys_only_with_caching_headers(client: TestClient,
                                                            session: Session) -> None:
    signing_keys.rotate_keys(session, alg="RS256")
    signing_keys.rotate_keys(session, alg="ES256")
    session.commit()

    response = client.get(JWKS)

    assert response.status_code == 200
    assert response.headers["cache-control"] == f"public, max-age={get_settings().jwks_max_age_s}"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    published = response.json()["keys"]
    assert [k["alg"] for k in published] == ["RS256", "ES256"]
    private_members = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
    for public in published:
        assert public["use"] == "sig" and not private_members & public.keys()
        jwt.PyJWK(public)  # a usable public key

    again = client.get(JWKS, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and "max-age" in again.headers["cache-control"]
    assert client.get(JWKS, headers={"If-None-Match": '"other", ' + etag}).status_code == 304
    assert client.get(JWKS, headers={"If-None-Match": '"other"'}).status_code == 200

    signing_keys.rotate_keys(session, alg="ES256")
    session.commit()
    changed = client.get(JWKS, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert len(changed.json()["keys"]) == 3


def test_discovery_document(client: TestClient) -> None:
    settings = get_settings()
    document = client.get("/.well-known/openid-configuration").json()
    assert document["issuer"] == settings.jwt_issuer
    assert document["jwks_uri"] == f"{settings.public_url}{JWKS}"
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]


def test_rotation_through_the_admin_api(client: TestClient) -> None:
    first = client.post("/api/v1/auth/keys/rotate", json={"alg": "ES256"})
    second = client.post("/api/v1/auth/keys/rotate", json={"alg": "RS256"})
    assert first.status_code == second.status_code == 201
    assert (first.json()["state"], second.json()["state"]) == ("active", "next")
    listed = client.get("/api/v1/auth/keys").json()
    assert [k["state"] for k in listed] == ["active", "next"]
    assert all("private" not in name for k in listed for name in k)
    assert client.post("/api/v1/auth/keys/rotate", json={"alg": "HS256"}).status_code == 422
    assert {k["kid"] for k in client.get(JWKS).json()["keys"]} == {k["kid"] for k in listed}


def test_keys_rotate_command_on_the_embedded_database(tmp_path: Path) -> None:
    """`bridge keys rotate` as operators run it, on `make run`'s SQLite."""
    url = f"sqlite:///{tmp_path / 'bridge.db'}"
    upgrade(url)
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "development",
           "BRIDGE_SECRET_KEY": "a-test-secret-of-enough-length-0123"}

    def bridge(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bridge", "keys", *args], env=env,
                              capture_output=True, text=True, timeout=60, check=True)
        return done.stdout

    bridge("rotate")
    listed = bridge("rotate", "--alg", "ES256").splitlines()

    assert [line.split()[1:3] for line in listed] == [["RS256", "active"], ["ES256", "next"]]
    assert "PRIVATE" not in "".join(listed)
