"""Auth API, one module per job; each router states who may call it.

- `sessions`: password sign-in (JSON and the browser form), sign-out, the signed-in account.
- `moodle`: entering Moodle with a fresh login token (the auto-submitted page and its script).
- `accounts`: the administrators' account API (registration systems, operators).
- `jwks`: the published signing keys, the discovery document and key rotation.
"""

from __future__ import annotations

from fastapi import APIRouter

from bridge.auth.endpoints import accounts, jwks, moodle, sessions

router = APIRouter()
for _module in (sessions, moodle, accounts, jwks):
    router.include_router(_module.router)
