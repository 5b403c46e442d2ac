"""The shared SSO vectors: the Python reference verifier gives every case its verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bridge.auth.verify import CHECK_ORDER, MemoryJtiStore, StaticJwks, TokenRejected, Verifier

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "jwt_vectors.json").read_text(encoding="utf-8")
)


class CountingJwks(StaticJwks):
    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(document)
        self.refreshes = 0

    def keys(self, *, refresh: bool) -> list[dict[str, Any]]:
        self.refreshes += refresh
        return super().keys(refresh=refresh)


def verifier(jwks: StaticJwks | None = None) -> Verifier:
    """A fresh verifier as each case expects: the clock at `now`, a jti store of `used_jti`."""
    return Verifier(
        jwks or StaticJwks(VECTORS["jwks"]), VECTORS["issuer"], VECTORS["audience"],
        leeway=VECTORS["leeway"], max_bytes=VECTORS["max_token_bytes"],
        jtis=MemoryJtiStore({jti: float("inf") for jti in VECTORS["used_jti"]}),
        clock=lambda: float(VECTORS["now"]),
    )


def test_the_checks_run_in_the_shared_order() -> None:
    assert list(CHECK_ORDER) == VECTORS["check_order"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_every_vector_gets_its_verdict(case: dict[str, Any]) -> None:
    if case["verdict"] == "accept":
        assert verifier().verify(case["token"]) == case["claims"]
        return
    with pytest.raises(TokenRejected) as refused:
        verifier().verify(case["token"])
    assert refused.value.code == case["error"]


def test_an_unknown_kid_refetches_the_jwks_once() -> None:
    unknown = next(c for c in VECTORS["cases"] if c["name"] == "unknown_kid")
    known = next(c for c in VECTORS["cases"] if c["name"] == "valid_rs256")
    jwks = CountingJwks(VECTORS["jwks"])

    verifier(jwks).verify(known["token"])
    assert jwks.refreshes == 0
    with pytest.raises(TokenRejected):
        verifier(jwks).verify(unknown["token"])
    assert jwks.refreshes == 1


def test_the_vectors_hold_claims_of_the_wrong_json_type() -> None:
    """Issue 9: PHP read {"0": audience} as a list holding the audience; both must refuse it."""
    by_name = {c["name"]: c for c in VECTORS["cases"]}
    for name in ("aud_object_with_audience", "aud_nested_list", "aud_number", "iss_list",
                 "iss_object", "exp_numeric_string", "nbf_bool", "nan_literal", "lone_surrogate",
                 "nested_past_json_decode_depth", "nested_past_python_recursion"):
        assert by_name[name]["verdict"] == "reject", name
    with pytest.raises(TokenRejected) as refused:
        verifier().verify(by_name["aud_object_with_audience"]["token"])
    assert refused.value.code == "wrong_aud"
