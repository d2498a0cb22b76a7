"""meeting personal limits: a person's own, lower limit of meetings in a session

Revision ID: 9e4b2d7f1a38
Revises: 7c3e1f9a2b64
Create Date: 2026-12-03 15:30:00.000000

One row per person who set a lower limit than the session's (at most one each: unique per
session and investor, per session and startup). New table only.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9e4b2d7f1a38'
down_revision = '7c3e1f9a2b64'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meeting_personal_limit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('investor_id', sa.Integer(), nullable=True),
    sa.Column('startup_id', sa.Integer(), nullable=True),
    sa.Column('max_meetings', sa.Integer(), nullable=False),
    sa.CheckConstraint('(investor_id IS NULL) <> (startup_id IS NULL)', name=op.f('ck_meeting_personal_limit_exactly_one_person')),
    sa.CheckConstraint('max_meetings >= 1', name=op.f('ck_meeting_personal_limit_max_meetings_positive')),
    sa.ForeignKeyConstraint(['investor_id'], ['investor_profile.id'], name=op.f('fk_meeting_personal_limit_investor_id_investor_profile'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['meeting_session.id'], name=op.f('fk_meeting_personal_limit_session_id_meeting_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['startup_id'], ['startup_profile.id'], name=op.f('fk_meeting_personal_limit_startup_id_startup_profile'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_personal_limit')),
    sa.UniqueConstraint('session_id', 'investor_id', name=op.f('uq_meeting_personal_limit_session_id_investor_id')),
    sa.UniqueConstraint('session_id', 'startup_id', name=op.f('uq_meeting_personal_limit_session_id_startup_id'))
    )
    with op.batch_alter_table('meeting_personal_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_personal_limit_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('meeting_personal_limit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_personal_limit_session_id'))
    op.drop_table('meeting_personal_limit')
