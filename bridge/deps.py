"""Request-scoped dependencies: the session (committed here, never in services) and callers."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, status
from sqlalchemy.orm import Session

from bridge.config import Settings, get_settings
from bridge.db import session_scope


def get_session() -> Iterator[Session]:
    """One session per request: committed when the endpoint succeeds, then jobs are sent."""
    with session_scope() as session:
        yield session


# scope="function": the commit runs when the endpoint returns, before the response is sent, so
# a 2xx is only ever sent for rows already committed, and a failed commit becomes a 500. (The
# default scope would commit after the client had its answer.)
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_api_key(
    settings: SettingsDep,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    """Operators and integrations: the API key, as `X-API-Key` or `Authorization: Bearer`."""
    presented = x_api_key
    if presented is None and authorization and authorization.lower().startswith("bearer "):
        presented = authorization[7:]
    expected = settings.api_key.get_secret_value().encode()
    if not presented or not hmac.compare_digest(presented.encode(), expected):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a valid API key is required",
            headers={"WWW-Authenticate": "Bearer"},
        )


ApiKeyDep = Depends(require_api_key)
