"""Reference verifier of SSO tokens: the same checks, in the same order, as auth_jwtsso.

Useful to operators ("why does Moodle refuse this token?") and to the tests, which run it on
the shared vectors in tests/vectors/jwt_vectors.json. The order of the checks decides which
error a token with several faults gets; it is `CHECK_ORDER`, as in the vector file.

    python -m bridge.auth.verify --jwks-url URL --issuer ISS --audience AUD TOKEN
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt
from jwt.algorithms import get_default_algorithms

from grader.bounded import Bounds, loads_json

ALLOWED_ALGS = ("RS256", "ES256")
KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}
MAX_TOKEN_BYTES = 8192
CHECK_ORDER = (
    "oversized", "malformed", "alg_not_allowed", "wrong_typ", "missing_kid", "unknown_kid",
    "key_alg_mismatch", "bad_signature", "not_yet_valid", "expired", "wrong_iss", "wrong_aud",
    "missing_claim", "replayed_jti",
)
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")
# The token's own size limit comes first; these only bound what a larger configured one holds.
_PHP_JSON = Bounds(max_bytes=1 << 20, max_depth=511, max_nodes=1 << 20)


class TokenRejected(Exception):
    """A refused token; `code` is one of CHECK_ORDER."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


class JwksSource(Protocol):
    def keys(self, *, refresh: bool) -> list[dict[str, Any]]: ...


@dataclass
class StaticJwks:
    document: dict[str, Any]

    def keys(self, *, refresh: bool) -> list[dict[str, Any]]:
        return list(self.document.get("keys", []))


@dataclass
class HttpJwks:
    """The bridge's JWKS over HTTP, kept until `refresh` (an unknown kid) asks again."""

    url: str
    timeout_s: float = 10.0
    _cached: list[dict[str, Any]] | None = None

    def keys(self, *, refresh: bool) -> list[dict[str, Any]]:
        if self._cached is None or refresh:
            response = httpx.get(self.url, timeout=self.timeout_s)
            response.raise_for_status()
            self._cached = list(response.json().get("keys", []))
        return self._cached


@dataclass
class MemoryJtiStore:
    """Token ids already used, with the time until which each must be remembered."""

    used: dict[str, float] = field(default_factory=dict)

    def consume(self, jti: str, until: float) -> bool:
        if jti in self.used:
            return False
        self.used[jti] = until
        return True


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _php_json(raw: bytes) -> Any:
    """JSON as auth_jwtsso's json_decode reads it, so that both refuse the same documents.

    json_decode stops at 512 levels (511 nested containers), and refuses the NaN and Infinity
    literals and lone surrogate escapes that json.loads takes; a number too large for a float
    is infinity in both.
    """
    loads_json(raw, _PHP_JSON)  # the nesting (and size) bound, before building anything
    value = json.loads(raw, parse_constant=_refuse_constant)
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError on a surrogate
    return value


def _json_object(segment: str) -> dict[str, Any] | None:
    try:
        value = _php_json(_b64decode(segment))
    except (binascii.Error, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _present(claims: dict[str, Any], name: str) -> bool:
    # PHP's isset(): a claim that is null is no claim at all.
    return claims.get(name) is not None


def _floor(value: float) -> float:
    # PHP's floor(INF) is INF; math.floor(inf) raises.
    return math.floor(value) if math.isfinite(value) else value


def _is_int64(value: Any) -> bool:
    # json_decode reads integers beyond PHP_INT_MAX as floats: not an integer there either.
    return isinstance(value, int) and not isinstance(value, bool) and -2**63 <= value < 2**63


@dataclass
class Verifier:
    jwks: JwksSource
    issuer: str
    audience: str
    leeway: int = 30
    max_bytes: int = MAX_TOKEN_BYTES
    jtis: MemoryJtiStore = field(default_factory=MemoryJtiStore)
    clock: Callable[[], float] = time.time

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or TokenRejected with the first failed check."""
        if len(token.encode()) > self.max_bytes:
            raise TokenRejected("oversized", f"{len(token.encode())} bytes")
        segments = token.split(".")
        if len(segments) != 3 or not all(_SEGMENT.match(s) for s in segments):
            raise TokenRejected("malformed", "expected three base64url segments")
        header, claims = _json_object(segments[0]), _json_object(segments[1])
        if header is None or claims is None:
            raise TokenRejected("malformed", "header and payload must be JSON objects")
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGS:
            raise TokenRejected("alg_not_allowed", str(alg))
        if "typ" in header and (not isinstance(header["typ"], str)
                                or header["typ"].upper() != "JWT"):
            raise TokenRejected("wrong_typ")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("missing_kid")
        jwk = self._find(kid, refresh=False) or self._find(kid, refresh=True)
        if jwk is None:
            raise TokenRejected("unknown_kid", kid)
        if (jwk.get("alg") != alg or jwk.get("kty") != KEY_TYPES[alg]
                or jwk.get("use", "sig") != "sig"):
            raise TokenRejected("key_alg_mismatch")
        self._check_signature(segments, alg, jwk)
        self._check_times(claims)
        if claims.get("iss") != self.issuer:
            raise TokenRejected("wrong_iss")
        aud = claims.get("aud")
        if not (aud == self.audience or (isinstance(aud, list) and self.audience in aud)):
            raise TokenRejected("wrong_aud")
        for name in ("exp", "iat"):
            if not _is_int64(claims.get(name)):
                raise TokenRejected("missing_claim", name)
        for name in ("sub", "jti"):
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise TokenRejected("missing_claim", name)
        if not self.jtis.consume(claims["jti"], claims["exp"] + self.leeway):
            raise TokenRejected("replayed_jti")
        return claims

    def _find(self, kid: str, *, refresh: bool) -> dict[str, Any] | None:
        return next((k for k in self.jwks.keys(refresh=refresh) if k.get("kid") == kid), None)

    @staticmethod
    def _check_signature(segments: list[str], alg: str, jwk: dict[str, Any]) -> None:
        algorithm = get_default_algorithms()[alg]
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            signature = _b64decode(segments[2])
            valid = algorithm.verify(f"{segments[0]}.{segments[1]}".encode(), key, signature)
        except (jwt.PyJWKError, binascii.Error, ValueError) as exc:
            raise TokenRejected("bad_signature", str(exc)) from None
        if not valid:
            raise TokenRejected("bad_signature")

    def _check_times(self, claims: dict[str, Any]) -> None:
        # PHP-JWT's rules: nbf first, iat only without nbf, then exp (expired at exp exactly).
        now = self.clock()
        for name in ("nbf", "iat", "exp"):
            value = claims.get(name)
            if value is not None and (not isinstance(value, int | float)
                                      or isinstance(value, bool)):
                raise TokenRejected("malformed", f"{name} is not a number")
        latest = now + self.leeway
        nbf, iat = _present(claims, "nbf"), _present(claims, "iat")
        if nbf and _floor(claims["nbf"]) > latest:
            raise TokenRejected("not_yet_valid", "nbf")
        if not nbf and iat and _floor(claims["iat"]) > latest:
            raise TokenRejected("not_yet_valid", "iat")
        if _present(claims, "exp") and now - self.leeway >= claims["exp"]:
            raise TokenRejected("expired")


def main(argv: list[str] | None = None) -> int:
    """Check one token against a JWKS URL, as Moodle would (without the jti memory)."""
    parser = argparse.ArgumentParser(prog="python -m bridge.auth.verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jwks-url", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    parser.add_argument("--leeway", type=int, default=30)
    parser.add_argument("token", nargs="?", help="the token; read from stdin when absent")
    args = parser.parse_args(argv)
    token = (args.token or sys.stdin.read()).strip()
    verifier = Verifier(HttpJwks(args.jwks_url), args.issuer, args.audience, args.leeway)
    try:
        claims = verifier.verify(token)
    except TokenRejected as exc:
        print(f"rejected: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(claims, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
