"""Imports every domain's models so that metadata (and Alembic) sees all tables."""

from __future__ import annotations


def load_all() -> None:
    """Register every table on Base.metadata."""
    import bridge.auth.models
    import bridge.delivery.models
    import bridge.exercises.models
    import bridge.history.models
    import bridge.intake.models
    import bridge.submissions.models  # noqa: F401
