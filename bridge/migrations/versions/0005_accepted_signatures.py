"""accepted_signatures: signed intake requests remembered until their window closes

Revision ID: 0005_accepted_signatures
Revises: 0003
Create Date: 2026-12-01 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_accepted_signatures'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('moodle_accepted_signatures',
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=80), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_accepted_signatures')),
    sa.UniqueConstraint('site', 'signature', name=op.f('uq_moodle_accepted_signatures_site'))
    )
    op.create_index(op.f('ix_moodle_accepted_signatures_expires_at'),
                    'moodle_accepted_signatures', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_moodle_accepted_signatures_expires_at'),
                  table_name='moodle_accepted_signatures')
    op.drop_table('moodle_accepted_signatures')
