"""Prometheus metrics of the auth package, on the default registry the app exposes."""

from __future__ import annotations

from prometheus_client import Counter

TOKENS_ISSUED = Counter(
    "bridge_tokens_issued", "SSO tokens minted for Moodle, by signing algorithm.", ["alg"]
)
SIGN_IN_FAILURES = Counter(
    "bridge_sign_in_failures", "Refused password sign-ins, by reason.", ["reason"]
)
