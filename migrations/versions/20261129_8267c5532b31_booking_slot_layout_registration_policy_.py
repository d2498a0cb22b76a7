"""booking: slot layout, registration policy, waitlist

Revision ID: 8267c5532b31
Revises: 002d3fc85d0b
Create Date: 2026-11-29 07:34:20.090359

"""
from alembic import op
import sqlalchemy as sa
import eventhub.core.db

# revision identifiers, used by Alembic.
revision = '8267c5532b31'
down_revision = '002d3fc85d0b'
branch_labels = None
depends_on = None

OLD_STATUSES = "'applied', 'confirmed', 'offered', 'waitlisted', 'cancelled', 'rejected', 'attended', 'no_show'"
NEW_STATUSES = "'applied', 'approved', 'confirmed', 'offered', 'waitlisted', 'cancelled', 'rejected', 'expired', 'carried_over', 'attended', 'no_show'"
OLD_ACTIVE = "'applied', 'confirmed', 'offered', 'waitlisted', 'attended', 'no_show'"
NEW_ACTIVE = "'applied', 'approved', 'confirmed', 'offered', 'waitlisted', 'attended', 'no_show'"


def _statuses(statuses: str) -> None:
    """Booking statuses live in CHECK constraints on two tables and in a partial index."""
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_booking_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_booking_booking_status'), f"status IN ({statuses})")
    with op.batch_alter_table('booking_status_change', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_booking_status_change_from_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_booking_status_change_to_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_booking_status_change_from_status'), f"from_status IN ({statuses})")
        batch_op.create_check_constraint(op.f('ck_booking_status_change_to_status'), f"to_status IN ({statuses})")


def _slot_index(create: bool) -> None:
    # SQLite rebuilds the booking table below; partial indexes are dropped first and put back
    # explicitly rather than trusting reflection to carry their WHERE clause.
    if create:
        op.create_index(
            'uq_booking_slot_holding', 'booking', ['slot_id'], unique=True,
            sqlite_where=sa.text("status IN ('confirmed', 'offered', 'attended', 'no_show')"),
            postgresql_where=sa.text("status IN ('confirmed', 'offered', 'attended', 'no_show')"),
        )
    else:
        op.drop_index('uq_booking_slot_holding', table_name='booking')


def upgrade():
    _slot_index(create=False)
    op.drop_index('uq_booking_startup_active', table_name='booking')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_priority', sa.Integer(), server_default=sa.text('100'), nullable=False))
        batch_op.add_column(sa.Column('queued_at', eventhub.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('offer_expires_at', eventhub.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('preferred_slot_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('screened_at', eventhub.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('screened_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('carried_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_booking_screened_by_id_user'), 'user', ['screened_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_booking_carried_from_id_booking'), 'booking', ['carried_from_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_offset_minutes', sa.Integer(), server_default=sa.text('30'), nullable=False))
        batch_op.add_column(sa.Column('slot_minutes', sa.Integer(), server_default=sa.text('15'), nullable=False))
        batch_op.add_column(sa.Column('gap_minutes', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('slot_count', sa.Integer(), server_default=sa.text('8'), nullable=False))
        batch_op.add_column(sa.Column('break_every', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('break_minutes', sa.Integer(), server_default=sa.text('10'), nullable=False))
        batch_op.add_column(sa.Column('booking_mode', sa.Enum('first_come', 'application', name='booking_mode', native_enum=False, create_constraint=True, length=32), server_default='first_come', nullable=False))
        batch_op.add_column(sa.Column('waitlist_mode', sa.Enum('auto_confirm', 'offer', name='waitlist_mode', native_enum=False, create_constraint=True, length=32), server_default='offer', nullable=False))
        batch_op.add_column(sa.Column('offer_hold_hours', sa.Integer(), server_default=sa.text('24'), nullable=False))
        batch_op.add_column(sa.Column('registration_opens_days', sa.Integer(), server_default=sa.text('30'), nullable=False))
        batch_op.add_column(sa.Column('registration_closes_hours', sa.Integer(), server_default=sa.text('48'), nullable=False))
        batch_op.add_column(sa.Column('cancel_cutoff_hours', sa.Integer(), server_default=sa.text('48'), nullable=False))
        batch_op.add_column(sa.Column('eligible_industries', sa.JSON(), nullable=True))

    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_opens_at', eventhub.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('registration_closes_at', eventhub.core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('cancel_cutoff_at', eventhub.core.db.UTCDateTime(), nullable=True))

    _statuses(NEW_STATUSES)
    op.create_index(
        'uq_booking_startup_active', 'booking', ['occurrence_id', 'startup_id'], unique=True,
        sqlite_where=sa.text(f"status IN ({NEW_ACTIVE})"),
        postgresql_where=sa.text(f"status IN ({NEW_ACTIVE})"),
    )
    _slot_index(create=True)


def downgrade():
    # Rows in the new statuses cannot exist under the old constraints.
    op.execute("DELETE FROM booking_status_change WHERE to_status IN ('approved', 'expired', 'carried_over') OR from_status IN ('approved', 'expired', 'carried_over')")
    op.execute("UPDATE booking SET carried_from_id = NULL")
    op.execute("DELETE FROM booking WHERE status IN ('approved', 'expired', 'carried_over')")
    _slot_index(create=False)
    op.drop_index('uq_booking_startup_active', table_name='booking')
    _statuses(OLD_STATUSES)
    with op.batch_alter_table('occurrence', schema=None) as batch_op:
        batch_op.drop_column('cancel_cutoff_at')
        batch_op.drop_column('registration_closes_at')
        batch_op.drop_column('registration_opens_at')

    with op.batch_alter_table('event_series', schema=None) as batch_op:
        batch_op.drop_column('eligible_industries')
        batch_op.drop_column('cancel_cutoff_hours')
        batch_op.drop_column('registration_closes_hours')
        batch_op.drop_column('registration_opens_days')
        batch_op.drop_column('offer_hold_hours')
        batch_op.drop_constraint(op.f('ck_event_series_waitlist_mode'), type_='check')
        batch_op.drop_constraint(op.f('ck_event_series_booking_mode'), type_='check')
        batch_op.drop_column('waitlist_mode')
        batch_op.drop_column('booking_mode')
        batch_op.drop_column('break_minutes')
        batch_op.drop_column('break_every')
        batch_op.drop_column('slot_count')
        batch_op.drop_column('gap_minutes')
        batch_op.drop_column('slot_minutes')
        batch_op.drop_column('session_offset_minutes')

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_booking_carried_from_id_booking'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_booking_screened_by_id_user'), type_='foreignkey')
        batch_op.drop_column('carried_from_id')
        batch_op.drop_column('screened_by_id')
        batch_op.drop_column('screened_at')
        batch_op.drop_column('preferred_slot_ids')
        batch_op.drop_column('offer_expires_at')
        batch_op.drop_column('queued_at')
        batch_op.drop_column('queue_priority')

    op.create_index(
        'uq_booking_startup_active', 'booking', ['occurrence_id', 'startup_id'], unique=True,
        sqlite_where=sa.text(f"status IN ({OLD_ACTIVE})"),
        postgresql_where=sa.text(f"status IN ({OLD_ACTIVE})"),
    )
    _slot_index(create=True)
