"""Generate tests/vectors/jwt_vectors.json from the committed TEST-ONLY keys.

Deterministic: RS256 (PKCS#1 v1.5) and ES256 (RFC 6979, deterministic_signing) signatures depend
only on the key and the input, and the clock is the fixed ``now`` below. Re-running the script on
the same keys rewrites the same file byte for byte.

Each case is judged on its own against a validator configured with ``issuer``, ``audience``,
``leeway``, ``max_token_bytes``, the ``jwks`` and a jti store that holds exactly ``used_jti``.
``reason`` names the scenario; ``error`` is the code a validator that applies the checks in
``check_order`` reports (every reject case has exactly one fault, except ``retired_key_expired``
whose key is gone from the JWKS *and* whose token is expired: the kid check comes first).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from _testkeys import b64url, compact_json, jws, load_key, public_jwk, public_pem, sign

OUT = Path(__file__).resolve().parent / "jwt_vectors.json"

ISSUER = "https://bridge.test.invalid"
AUDIENCE = "https://moodle.test.invalid"
NOW = 1767225600  # 2026-01-01T00:00:00Z
LEEWAY = 30
MAX_TOKEN_BYTES = 8192
USED_JTI = ["0b9d2f0c-1f4e-4d8e-9c1a-replayed0001"]

CHECK_ORDER = [
    "oversized",
    "malformed",
    "alg_not_allowed",
    "wrong_typ",
    "missing_kid",
    "unknown_kid",
    "key_alg_mismatch",
    "bad_signature",
    "not_yet_valid",
    "expired",
    "wrong_iss",
    "wrong_aud",
    "missing_claim",
    "replayed_jti",
]

RSA = load_key("test_only_rsa_current")
RSA_RETIRED = load_key("test_only_rsa_retired")
EC = load_key("test_only_ec_current")
RSA_REMOVED = load_key("test_only_rsa_removed")
EC_UNKNOWN = load_key("test_only_ec_unknown")

KID = {name: public_jwk(key)["kid"] for name, key in {
    "rsa": RSA, "rsa_retired": RSA_RETIRED, "ec": EC, "rsa_removed": RSA_REMOVED, "ec_unknown": EC_UNKNOWN,
}.items()}


def header(alg: str, kid: str | None, typ: str | None = "JWT") -> dict[str, Any]:
    """JOSE header in a fixed key order."""
    result: dict[str, Any] = {"alg": alg}
    if typ is not None:
        result["typ"] = typ
    if kid is not None:
        result["kid"] = kid
    return result


def claims(jti: str | None, **changes: Any) -> dict[str, Any]:
    """A valid claim set; a change whose value is None removes that claim."""
    result: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "3f5c8a9e-0001-4bde-8a51-student00001",
        "preferred_username": "student1",
        "email": "student1@example.test",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "iat": NOW - 5,
        "nbf": NOW - 5,
        "exp": NOW + 55,
    }
    if jti is not None:
        result["jti"] = jti
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def tamper_payload(token: str) -> str:
    """Swap the payload for another one and keep the original signature."""
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["sub"] = "3f5c8a9e-0002-4bde-8a51-teacher000001"
    payload["preferred_username"] = "teacher1"
    return f"{head}.{b64url(compact_json(payload))}.{sig}"


def flip_signature(token: str) -> str:
    """Flip one bit in the middle of the decoded signature."""
    head, body, sig = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{b64url(bytes(raw))}"


def jws_raw(head: dict[str, Any], payload: bytes, key: Any) -> str:
    """Compact JWS over exactly these payload bytes (JSON that json.dumps would not write)."""
    signing_input = f"{b64url(compact_json(head))}.{b64url(payload)}".encode("ascii")
    return f"{signing_input.decode('ascii')}.{b64url(sign(signing_input, head['alg'], key))}"


def with_raw(jti: str, name: str, raw: bytes) -> bytes:
    """A valid claim set whose claim `name` is the raw JSON text `raw`."""
    return compact_json(claims(jti, **{name: "@@"})).replace(b'"@@"', raw)


def build_cases() -> list[dict[str, Any]]:
    """Every case, in a stable order."""
    cases: list[dict[str, Any]] = []

    def accept(name: str, token: str, payload: dict[str, Any]) -> None:
        cases.append({"name": name, "token": token, "verdict": "accept", "reason": "valid",
                      "error": None, "claims": payload})

    def reject(name: str, token: str, reason: str, error: str | None = None) -> None:
        cases.append({"name": name, "token": token, "verdict": "reject", "reason": reason,
                      "error": error or reason})

    c = claims("jti-accept-rs256-0001")
    valid_rs = jws(header("RS256", KID["rsa"]), c, RSA)
    accept("valid_rs256", valid_rs, c)
    c = claims("jti-accept-es256-0001")
    valid_es = jws(header("ES256", KID["ec"]), c, EC)
    accept("valid_es256", valid_es, c)
    c = claims("jti-accept-audlist-0001", aud=["https://other.test.invalid", AUDIENCE])
    accept("aud_list_contains_audience", jws(header("RS256", KID["rsa"]), c, RSA), c)
    c = claims("jti-accept-retired-0001", iat=NOW - 40, nbf=NOW - 40, exp=NOW + 20)
    accept("retired_key_still_in_jwks", jws(header("RS256", KID["rsa_retired"]), c, RSA_RETIRED), c)
    c = claims("jti-accept-course-0001", course_id=2, enrol=True)
    accept("course_and_enrol", jws(header("RS256", KID["rsa"]), c, RSA), c)
    c = claims("jti-accept-noytyp-0001")
    accept("typ_absent", jws(header("ES256", KID["ec"], typ=None), c, EC), c)
    c = claims("jti-accept-expleeway-0001", iat=NOW - 70, nbf=NOW - 70, exp=NOW - 10)
    accept("exp_within_leeway", jws(header("RS256", KID["rsa"]), c, RSA), c)
    c = claims("jti-accept-nbfleeway-0001", iat=NOW + 10, nbf=NOW + 10, exp=NOW + 70)
    accept("nbf_within_leeway", jws(header("RS256", KID["rsa"]), c, RSA), c)

    reject("alg_none", jws(header("none", KID["rsa"]), claims("jti-reject-none-0001"), None),
           "alg_none", "alg_not_allowed")
    reject("hmac_with_public_key",
           jws(header("HS256", KID["rsa"]), claims("jti-reject-hmac-0001"), public_pem(RSA)),
           "hmac_with_public_key", "alg_not_allowed")
    reject("rs384_not_allowed", jws(header("RS384", KID["rsa"]), claims("jti-reject-rs384-0001"), RSA),
           "alg_not_allowed")
    reject("unknown_kid", jws(header("ES256", KID["ec_unknown"]), claims("jti-reject-kid-0001"), EC_UNKNOWN),
           "unknown_kid")
    reject("kid_not_exact", jws(header("RS256", KID["rsa"].upper()), claims("jti-reject-kidcase-0001"), RSA),
           "unknown_kid")
    reject("missing_kid", jws(header("RS256", None), claims("jti-reject-nokid-0001"), RSA), "missing_kid")
    reject("retired_key_expired",
           jws(header("RS256", KID["rsa_removed"]),
               claims("jti-reject-removed-0001", iat=NOW - 7200, nbf=NOW - 7200, exp=NOW - 7140), RSA_REMOVED),
           "retired_key_expired", "unknown_kid")
    reject("key_alg_mismatch", jws(header("ES256", KID["rsa"]), claims("jti-reject-keyalg-0001"), EC),
           "key_alg_mismatch")
    reject("expired", jws(header("RS256", KID["rsa"]),
                          claims("jti-reject-exp-0001", iat=NOW - 180, nbf=NOW - 180, exp=NOW - 120), RSA),
           "expired")
    reject("not_yet_valid", jws(header("RS256", KID["rsa"]),
                                claims("jti-reject-nbf-0001", iat=NOW, nbf=NOW + 300, exp=NOW + 360), RSA),
           "not_yet_valid")
    reject("iat_in_future", jws(header("ES256", KID["ec"]),
                                claims("jti-reject-iat-0001", iat=NOW + 300, nbf=None, exp=NOW + 360), EC),
           "not_yet_valid")
    reject("wrong_iss", jws(header("RS256", KID["rsa"]),
                            claims("jti-reject-iss-0001", iss="https://evil.test.invalid"), RSA), "wrong_iss")
    reject("iss_not_exact", jws(header("RS256", KID["rsa"]), claims("jti-reject-iss-0002", iss=ISSUER + "/"), RSA),
           "wrong_iss")
    reject("wrong_aud", jws(header("RS256", KID["rsa"]),
                            claims("jti-reject-aud-0001", aud="https://other.test.invalid"), RSA), "wrong_aud")
    reject("aud_list_without_audience",
           jws(header("ES256", KID["ec"]),
               claims("jti-reject-aud-0002", aud=["https://other.test.invalid", AUDIENCE + "/x"]), EC),
           "wrong_aud")
    reject("replayed_jti", jws(header("RS256", KID["rsa"]), claims(USED_JTI[0]), RSA), "replayed_jti")
    reject("missing_jti", jws(header("RS256", KID["rsa"]), claims(None), RSA),
           "missing_jti", "missing_claim")
    reject("missing_exp", jws(header("RS256", KID["rsa"]), claims("jti-reject-noexp-0001", exp=None), RSA),
           "missing_exp", "missing_claim")
    reject("missing_sub", jws(header("ES256", KID["ec"]), claims("jti-reject-nosub-0001", sub=None), EC),
           "missing_sub", "missing_claim")
    reject("tampered_payload", tamper_payload(valid_rs), "tampered_payload", "bad_signature")
    reject("bad_signature_rs256", flip_signature(jws(header("RS256", KID["rsa"]),
                                                     claims("jti-reject-sig-0001"), RSA)), "bad_signature")
    reject("bad_signature_es256", flip_signature(jws(header("ES256", KID["ec"]),
                                                     claims("jti-reject-sig-0002"), EC)), "bad_signature")
    reject("truncated_no_signature", valid_rs.rsplit(".", 1)[0], "truncated", "malformed")
    reject("truncated_mid_payload", valid_es[: len(valid_es.split(".")[0]) + 40], "truncated", "malformed")
    reject("garbage", "not.a.jwt", "malformed")
    reject("payload_not_object",
           f"{b64url(compact_json(header('RS256', KID['rsa'])))}.{b64url(b'[1,2,3]')}.{b64url(b'sig')}",
           "malformed")
    reject("oversized", jws(header("RS256", KID["rsa"]),
                            claims("jti-reject-big-0001", padding="x" * MAX_TOKEN_BYTES), RSA), "oversized")
    reject("wrong_typ", jws(header("RS256", KID["rsa"], typ="at+jwt"), claims("jti-reject-typ-0001"), RSA),
           "wrong_typ")
    # Claims of the wrong JSON type: both verifiers must refuse them the same way. PHP decodes
    # {"0": x} and [x] to the same array, so a check made on the decoded array cannot tell them
    # apart; json_decode also stops at 512 levels and refuses NaN and lone surrogates.
    rs = header("RS256", KID["rsa"])
    typed = [
        ("aud_object_with_audience", "aud", {"0": AUDIENCE}, "wrong_aud"),
        ("aud_object_keyed", "aud", {"aud": AUDIENCE}, "wrong_aud"),
        ("aud_nested_list", "aud", [[AUDIENCE]], "wrong_aud"),
        ("aud_number", "aud", 42, "wrong_aud"),
        ("aud_empty_list", "aud", [], "wrong_aud"),
        ("iss_list", "iss", [ISSUER], "wrong_iss"),
        ("iss_object", "iss", {"0": ISSUER}, "wrong_iss"),
        ("sub_object", "sub", {"0": "3f5c8a9e-0001-4bde-8a51-student00001"}, "missing_claim"),
        ("sub_number", "sub", 7, "missing_claim"),
        ("jti_list", "jti", ["jti-reject-jtilist-0001"], "missing_claim"),
        ("exp_numeric_string", "exp", str(NOW + 55), "malformed"),
        ("iat_numeric_string", "iat", str(NOW - 5), "malformed"),
        ("nbf_bool", "nbf", True, "malformed"),
        ("nbf_list", "nbf", [NOW - 5], "malformed"),
        ("exp_object", "exp", {"0": NOW + 55}, "malformed"),
        ("exp_float", "exp", NOW + 55.5, "missing_claim"),
        ("exp_beyond_int64", "exp", 2**64, "missing_claim"),
    ]
    for index, (name, claim, value, error) in enumerate(typed):
        payload = {**claims(f"jti-reject-type-{index:04d}"), claim: value}
        reject(name, jws(rs, payload, RSA), "wrong_claim_type", error)
    reject("kid_object", jws({"alg": "RS256", "typ": "JWT", "kid": {"0": KID["rsa"]}},
                             claims("jti-reject-kidobj-0001"), RSA), "wrong_claim_type", "missing_kid")
    reject("typ_list", jws({"alg": "RS256", "typ": ["JWT"], "kid": KID["rsa"]},
                           claims("jti-reject-typlist-0001"), RSA), "wrong_claim_type", "wrong_typ")
    # null is absent, as PHP's isset() sees it: no nbf means iat is checked; no exp is missing.
    reject("nbf_null_iat_in_future",
           jws(rs, {**claims("jti-reject-nbfnull-0001", iat=NOW + 300, exp=NOW + 360), "nbf": None}, RSA),
           "not_yet_valid")
    reject("exp_null", jws(rs, {**claims("jti-reject-expnull-0001"), "exp": None}, RSA),
           "missing_exp", "missing_claim")
    reject("exp_overflows_to_infinity", jws_raw(rs, with_raw("jti-reject-expinf-0001", "exp", b"1e400"), RSA),
           "wrong_claim_type", "missing_claim")
    reject("nbf_overflows_to_infinity",
           jws_raw(rs, with_raw("jti-reject-nbfinf-0001", "nbf", b"1e400"), RSA),
           "not_yet_valid")
    reject("nan_literal", jws_raw(rs, with_raw("jti-reject-nan-0001", "course_id", b"NaN"), RSA),
           "invalid_json", "malformed")
    reject("lone_surrogate", jws_raw(rs, with_raw("jti-reject-surrogate-0001", "given_name", b'"\\ud800"'), RSA),
           "invalid_json", "malformed")
    # The payload object and 511 arrays: one level more than json_decode's default depth allows.
    reject("nested_past_json_decode_depth",
           jws_raw(rs, with_raw("jti-reject-deep-0001", "x", b"[" * 511 + b"1" + b"]" * 511), RSA),
           "invalid_json", "malformed")
    reject("nested_past_python_recursion",
           jws_raw(rs, with_raw("jti-reject-deep-0002", "x", b"[" * 2500 + b"]" * 2500), RSA),
           "invalid_json", "malformed")
    return cases


def main() -> None:
    """Write the vector file."""
    document = {
        "description": "Shared SSO token vectors (TEST-ONLY keys, see tests/vectors/README.md).",
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "now": NOW,
        "leeway": LEEWAY,
        "max_token_bytes": MAX_TOKEN_BYTES,
        "allowed_algs": ["RS256", "ES256"],
        "check_order": CHECK_ORDER,
        "jwks": {"keys": [public_jwk(RSA), public_jwk(EC), public_jwk(RSA_RETIRED)]},
        "used_jti": USED_JTI,
        "cases": build_cases(),
    }
    OUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(document['cases'])} cases)")


if __name__ == "__main__":
    main()
