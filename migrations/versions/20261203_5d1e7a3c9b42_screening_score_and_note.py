"""screening score and note on bookings; venues in Korean and English

Revision ID: 5d1e7a3c9b42
Revises: a17d0a5e2b91
Create Date: 2026-12-03 11:45:00.000000

The screening desk keeps a score (1 to 5, checked by the database) and a note per
application. Existing bookings start without either.

Series and occurrences get an English venue name and address beside the existing columns,
which hold the Korean: existing venues stay where they are (as the Korean), and English pages
show them until an organizer adds the English.
"""
from alembic import op
import sqlalchemy as sa

from eventhub.core.db import LimitedText


# revision identifiers, used by Alembic.
revision = '5d1e7a3c9b42'
down_revision = 'a17d0a5e2b91'
branch_labels = None
depends_on = None


VENUE_COLUMNS = (('venue_name_en', 200), ('venue_address_en', 300))


def upgrade():
    for table in ('event_series', 'occurrence'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, size in VENUE_COLUMNS:
                batch_op.add_column(sa.Column(name, sa.String(length=size), nullable=True))
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('screening_score', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('screening_note', LimitedText(2000), nullable=True))
        batch_op.create_check_constraint(
            'screening_score_range',
            'screening_score IS NULL OR (screening_score >= 1 AND screening_score <= 5)',
        )


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_screening_score_range'), type_='check')
        batch_op.drop_column('screening_note')
        batch_op.drop_column('screening_score')
    for table in ('occurrence', 'event_series'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _size in reversed(VENUE_COLUMNS):
                batch_op.drop_column(name)
