"""login_throttles (failure counters of logins that name no account); accounts' last failure

Revision ID: 0004_login_throttles
Revises: 0002
Create Date: 2026-12-01 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_login_throttles'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('login_digest', sa.String(length=64), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('last_failed_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('login_digest', name=op.f('pk_login_throttles'))
    )
    op.create_index(op.f('ix_login_throttles_last_failed_login_at'), 'login_throttles',
                    ['last_failed_login_at'], unique=False)
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failed_login_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('last_failed_login_at')
    op.drop_index(op.f('ix_login_throttles_last_failed_login_at'), table_name='login_throttles')
    op.drop_table('login_throttles')
