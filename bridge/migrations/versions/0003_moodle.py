"""moodle: exercise links, gradable items, outbox deliveries, regrades

Revision ID: 0003
Revises: 0001
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def _record_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    op.create_table('moodle_exercise_links',
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('activity', sa.Enum('assign', 'quiz', name='activitykind', native_enum=False, length=16), nullable=False),
    sa.Column('cmid', sa.BigInteger(), nullable=False),
    sa.Column('course_id', sa.BigInteger(), nullable=False),
    sa.Column('instance_id', sa.BigInteger(), nullable=False),
    sa.Column('exercise_id', sa.Uuid(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('swept_until', sa.BigInteger(), nullable=True),
    *_record_columns(),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_moodle_exercise_links_exercise_id_exercises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_exercise_links')),
    sa.UniqueConstraint('site', 'activity', 'cmid', name=op.f('uq_moodle_exercise_links_site'))
    )
    with op.batch_alter_table('moodle_exercise_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moodle_exercise_links_exercise_id'), ['exercise_id'], unique=False)

    op.create_table('moodle_items',
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('assign_submission', 'quiz_attempt', name='itemkind', native_enum=False, length=32), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('course_id', sa.BigInteger(), nullable=False),
    sa.Column('cmid', sa.BigInteger(), nullable=False),
    sa.Column('instance_id', sa.BigInteger(), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('received', 'fetched', 'rejected', 'failed', 'superseded', 'no_exercise', 'unsupported', name='intakestatus', native_enum=False, length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('submission_id', sa.Uuid(), nullable=True),
    *_record_columns(),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_moodle_items_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_items')),
    sa.UniqueConstraint('site', 'event_id', name=op.f('uq_moodle_items_site')),
    sa.UniqueConstraint('site', 'kind', 'item_id', 'attempt_number', name='uq_moodle_items_site_kind_item')
    )
    with op.batch_alter_table('moodle_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moodle_items_site'), ['site', 'kind', 'cmid', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moodle_items_status'), ['status', 'modified_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moodle_items_submission_id'), ['submission_id'], unique=False)

    op.create_table('moodle_deliveries',
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('grading_round', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'retrying', 'delivered', 'parked', 'teacher_override', 'superseded', name='deliverystate', native_enum=False, length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('grade', sa.Double(), nullable=True),
    sa.Column('max_grade', sa.Double(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    *_record_columns(),
    sa.ForeignKeyConstraint(['item_id'], ['moodle_items.id'], name=op.f('fk_moodle_deliveries_item_id_moodle_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_moodle_deliveries_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_deliveries')),
    sa.UniqueConstraint('submission_id', 'grading_round', name=op.f('uq_moodle_deliveries_submission_id'))
    )
    with op.batch_alter_table('moodle_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moodle_deliveries_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moodle_deliveries_state'), ['state', 'next_attempt_at'], unique=False)

    op.create_table('moodle_regrades',
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('activity', sa.Enum('assign', 'quiz', name='activitykind', native_enum=False, length=16), nullable=False),
    sa.Column('cmid', sa.BigInteger(), nullable=False),
    sa.Column('exercise_version_id', sa.Uuid(), nullable=False),
    sa.Column('entries', JSON, nullable=False),
    *_record_columns(),
    sa.ForeignKeyConstraint(['exercise_version_id'], ['exercise_versions.id'], name=op.f('fk_moodle_regrades_exercise_version_id_exercise_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_regrades'))
    )


def downgrade() -> None:
    op.drop_table('moodle_regrades')
    op.drop_table('moodle_deliveries')
    op.drop_table('moodle_items')
    op.drop_table('moodle_exercise_links')
