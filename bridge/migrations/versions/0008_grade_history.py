"""grade_history: every score, push, teacher override and regrade, append-only

A trigger refuses UPDATE and DELETE of its rows (PostgreSQL and SQLite); TRUNCATE, a whole
table emptied by its owner, is left to the owner. moodle_regrades.requested_by says who
started a regrade.

Revision ID: 0008_grade_history
Revises: 0007_quiz_questions
Create Date: 2026-12-01 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0008_grade_history'
down_revision: str | Sequence[str] | None = '0007_quiz_questions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSE_PG = """
CREATE FUNCTION grade_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'grade_history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.add_column('moodle_regrades',
                  sa.Column('requested_by', sa.String(length=200), nullable=True))
    op.create_table('grade_history',
    sa.Column('event', sa.Enum('graded', 'pushed', 'teacher_override', 'regrade_started',
                               name='historyevent', native_enum=False, length=24),
              nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=True),
    sa.Column('site', sa.String(length=64), nullable=True),
    sa.Column('cmid', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('submission_id', sa.Uuid(), nullable=False),
    sa.Column('grading_round', sa.Integer(), nullable=False),
    sa.Column('exercise_version_id', sa.Uuid(), nullable=False),
    sa.Column('exercise_version', sa.Integer(), nullable=False),
    sa.Column('image_digest', sa.String(length=100), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('max_score', sa.Float(), nullable=True),
    sa.Column('grade', sa.Float(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('regrade_id', sa.Uuid(), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
              nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['exercise_version_id'], ['exercise_versions.id'],
                            name=op.f('fk_grade_history_exercise_version_id_exercise_versions'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['moodle_items.id'],
                            name=op.f('fk_grade_history_item_id_moodle_items'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['regrade_id'], ['moodle_regrades.id'],
                            name=op.f('fk_grade_history_regrade_id_moodle_regrades'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                            name=op.f('fk_grade_history_submission_id_submissions'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_history'))
    )
    op.create_index(op.f('ix_grade_history_item_id'), 'grade_history',
                    ['item_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_grade_history_site'), 'grade_history', ['site', 'user_id'],
                    unique=False)
    op.create_index(op.f('ix_grade_history_submission_id'), 'grade_history',
                    ['submission_id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE_PG)
        op.execute('CREATE TRIGGER grade_history_append_only BEFORE UPDATE OR DELETE '
                   'ON grade_history FOR EACH ROW EXECUTE FUNCTION grade_history_append_only()')
    elif op.get_bind().dialect.name == 'sqlite':
        for action in ('UPDATE', 'DELETE'):
            op.execute(f'CREATE TRIGGER grade_history_no_{action.lower()} BEFORE {action} '
                       f"ON grade_history BEGIN SELECT RAISE(ABORT, 'grade_history is "
                       f"append-only: {action} refused'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER grade_history_append_only ON grade_history')
        op.execute('DROP FUNCTION grade_history_append_only()')
    op.drop_index(op.f('ix_grade_history_submission_id'), table_name='grade_history')
    op.drop_index(op.f('ix_grade_history_site'), table_name='grade_history')
    op.drop_index(op.f('ix_grade_history_item_id'), table_name='grade_history')
    op.drop_table('grade_history')
    op.drop_column('moodle_regrades', 'requested_by')
