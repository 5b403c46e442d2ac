"""Verifying a signed request from a Moodle site (local_bridge\\signer on the other side).

    X-Bridge-Site: <site id>
    X-Bridge-Timestamp: <unix seconds>
    X-Bridge-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

Checks run in the order of tests/vectors/webhook_vectors.json, so that both ends name the same
fault; the HMAC is over the raw bytes as received and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from enum import StrEnum

HEADER_SITE = "x-bridge-site"
HEADER_TIMESTAMP = "x-bridge-timestamp"
HEADER_SIGNATURE = "x-bridge-signature"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")


class Verdict(StrEnum):
    VALID = "valid"
    OVERSIZED = "oversized"
    MISSING_HEADER = "missing_header"
    MALFORMED_HEADER = "malformed_header"
    UNKNOWN_SITE = "unknown_site"
    STALE = "stale"
    FUTURE = "future"
    BAD_SIGNATURE = "bad_signature"
    # Body checks, after the signature (see bridge.intake.schemas).
    INVALID_JSON = "invalid_json"
    SCHEMA_INVALID = "schema_invalid"
    SITE_MISMATCH = "site_mismatch"
    # State check, last: a valid request accepted before (see bridge.intake.replay).
    REPLAYED = "replayed"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Bridge-Signature value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(headers: Mapping[str, str], body: bytes, *, now: float, window_s: int,
           max_bytes: int, secret_for: Callable[[str], str | None]) -> Verdict:
    """Judge a signed request; `secret_for(site)` gives a site's secret or None if unknown."""
    if len(body) > max_bytes:
        return Verdict.OVERSIZED
    lowered = {k.lower(): v for k, v in headers.items()}
    site = lowered.get(HEADER_SITE)
    timestamp = lowered.get(HEADER_TIMESTAMP)
    presented = lowered.get(HEADER_SIGNATURE)
    if site is None or timestamp is None or presented is None:
        return Verdict.MISSING_HEADER
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(presented):
        return Verdict.MALFORMED_HEADER
    secret = secret_for(site)
    if secret is None:
        return Verdict.UNKNOWN_SITE
    age = int(now) - int(timestamp)
    if age > window_s:
        return Verdict.STALE
    if -age > window_s:
        return Verdict.FUTURE
    if not hmac.compare_digest(signature(secret, timestamp, body), presented):
        return Verdict.BAD_SIGNATURE
    return Verdict.VALID
