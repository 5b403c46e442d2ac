"""Signed requests change state once: each accepted signature is remembered until it expires.

A signature is valid for `intake_window_s` around its timestamp, so within that window the same
bytes could be sent again (an exercise upload replayed would roll the exercise back). The
bridge keeps every accepted signature until the window closes, in the same transaction as the
change it made, so a replay is refused even when it races the original.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bridge.db import utcnow
from bridge.intake.models import AcceptedSignature
from bridge.intake.repository import SignatureRepository


def accept_once(session: Session, *, site: str, signature: str, timestamp: int,
                window_s: int, now: datetime | None = None) -> bool:
    """Remember a verified signature; False when it was accepted before (a replay)."""
    repo = SignatureRepository(session)
    repo.purge_expired(now or utcnow())
    expires_at = datetime.fromtimestamp(timestamp + window_s, UTC)
    return repo.remember(AcceptedSignature(site=site, signature=signature,
                                           expires_at=expires_at))
