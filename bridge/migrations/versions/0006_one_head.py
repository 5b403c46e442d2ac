"""one head: the auth branch (0002, 0004) and the Moodle branch (0003, 0005) joined

Both branches grew from 0001 independently; from here on there is a single head, so
`alembic upgrade head` and the next migration have one parent.

Revision ID: 0006_one_head
Revises: 0004_login_throttles, 0005_accepted_signatures
Create Date: 2026-12-01 11:50:00
"""

from collections.abc import Sequence

revision: str = '0006_one_head'
down_revision: str | Sequence[str] | None = ('0004_login_throttles', '0005_accepted_signatures')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
