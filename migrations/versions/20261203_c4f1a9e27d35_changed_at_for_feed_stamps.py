"""changed_at on series and occurrences: feed DTSTAMP and LAST-MODIFIED

Revision ID: c4f1a9e27d35
Revises: d071753e0d58
Create Date: 2026-12-03 06:30:00.000000

Feeds stamped events with `updated_at`, which the horizon job moves every day; `changed_at`
moves only when what a calendar shows changes. Existing rows start from `updated_at`.
"""
from alembic import op
import sqlalchemy as sa

from eventhub.core.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c4f1a9e27d35'
down_revision = 'd071753e0d58'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('event_series', 'occurrence'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('changed_at', UTCDateTime(), nullable=True))
        op.execute(f'UPDATE {table} SET changed_at = updated_at')  # noqa: S608 - fixed names
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('changed_at', existing_type=UTCDateTime(), nullable=False)


def downgrade():
    for table in ('occurrence', 'event_series'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('changed_at')
