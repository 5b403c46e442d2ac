"""quiz questions: links per (site, quiz cmid, question bank entry), question items, regrades

A quiz attempt's item holds one item per linked question (kind quiz_question), unique per
(site, kind, attempt id, attempt number, question bank entry); anything that is not a question
has bank entry 0, so the key still holds for assignment submissions and attempts.

Revision ID: 0007_quiz_questions
Revises: 0006_one_head
Create Date: 2026-12-01 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_quiz_questions'
down_revision: str | Sequence[str] | None = '0006_one_head'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITEM_KEY = ['site', 'kind', 'item_id', 'attempt_number']


def upgrade() -> None:
    op.create_table('moodle_question_links',
    sa.Column('site', sa.String(length=64), nullable=False),
    sa.Column('cmid', sa.BigInteger(), nullable=False),
    sa.Column('course_id', sa.BigInteger(), nullable=False),
    sa.Column('instance_id', sa.BigInteger(), nullable=False),
    sa.Column('question_bank_entry_id', sa.BigInteger(), nullable=False),
    sa.Column('question_id', sa.BigInteger(), nullable=True),
    sa.Column('idnumber', sa.String(length=100), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('exercise_id', sa.Uuid(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_moodle_question_links_exercise_id_exercises'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moodle_question_links')),
    sa.UniqueConstraint('site', 'cmid', 'question_bank_entry_id', name=op.f('uq_moodle_question_links_site'))
    )
    op.create_index(op.f('ix_moodle_question_links_exercise_id'), 'moodle_question_links',
                    ['exercise_id'], unique=False)

    with op.batch_alter_table('moodle_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_bank_entry_id', sa.BigInteger(),
                                      server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attempt_item_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('slot', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('question_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('sequence_check', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('max_mark', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('response_sha256', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_moodle_items_attempt_item_id_moodle_items'),
                                    'moodle_items', ['attempt_item_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_moodle_items_attempt_item_id'), ['attempt_item_id'],
                              unique=False)
        batch_op.drop_constraint('uq_moodle_items_site_kind_item', type_='unique')
        batch_op.create_unique_constraint('uq_moodle_items_site_kind_item',
                                          [*ITEM_KEY, 'question_bank_entry_id'])

    with op.batch_alter_table('moodle_regrades', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_bank_entry_id', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('moodle_regrades', schema=None) as batch_op:
        batch_op.drop_column('question_bank_entry_id')
    # Question items cannot keep their key without the column: they go (their attempts stay).
    op.execute("DELETE FROM moodle_items WHERE kind = 'quiz_question'")
    with op.batch_alter_table('moodle_items', schema=None) as batch_op:
        batch_op.drop_constraint('uq_moodle_items_site_kind_item', type_='unique')
        batch_op.create_unique_constraint('uq_moodle_items_site_kind_item', ITEM_KEY)
        batch_op.drop_index(batch_op.f('ix_moodle_items_attempt_item_id'))
        batch_op.drop_constraint(batch_op.f('fk_moodle_items_attempt_item_id_moodle_items'),
                                 type_='foreignkey')
        for column in ('response_sha256', 'max_mark', 'sequence_check', 'question_id', 'slot',
                       'attempt_item_id', 'question_bank_entry_id'):
            batch_op.drop_column(column)
    op.drop_index(op.f('ix_moodle_question_links_exercise_id'),
                  table_name='moodle_question_links')
    op.drop_table('moodle_question_links')
