"""moodle_question_links.swept_until: where the last reconciliation sweep of the quiz ended

A quiz is swept once for all its linked questions; each link keeps the unix time the sweep
reached, so that a question linked later starts its quiz's next sweep from the beginning.

Revision ID: 0009_quiz_sweep
Revises: 0008_grade_history
Create Date: 2026-12-01 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_quiz_sweep'
down_revision: str | Sequence[str] | None = '0008_grade_history'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('moodle_question_links', sa.Column('swept_until', sa.BigInteger(),
                                                     nullable=True))


def downgrade() -> None:
    op.drop_column('moodle_question_links', 'swept_until')
