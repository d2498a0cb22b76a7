"""meeting reminders: a reminder audience for people with published one-to-one meetings

Revision ID: 7c3e1f9a2b64
Revises: 5085476d59f1
Create Date: 2026-12-03 15:00:00.000000

Reminder rules get the audience "meetings" (the CHECK of the audience enum is widened), and
every existing series starts with its default offsets, as a new series does.
"""
from alembic import op
import sqlalchemy as sa

# The audiences and the default as they were when this migration was written (not imported
# from the app, which may change them later).
BEFORE = ('startups', 'investors', 'unanswered', 'organizers', 'offer_expiry')
AFTER = BEFORE + ('meetings',)
DEFAULT_OFFSETS = (1440, 120)

# revision identifiers, used by Alembic.
revision = '7c3e1f9a2b64'
down_revision = '5085476d59f1'
branch_labels = None
depends_on = None


def _audience_check(values):
    listed = ", ".join(f"'{value}'" for value in values)
    return f"audience IN ({listed})"


def _replace_check(values):
    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reminder_rule_reminder_audience'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_reminder_rule_reminder_audience'), _audience_check(values)
        )


def upgrade():
    _replace_check(AFTER)
    rule = sa.table(
        'reminder_rule',
        sa.column('series_id', sa.Integer),
        sa.column('audience', sa.String),
        sa.column('offset_minutes', sa.Integer),
    )
    series_ids = [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM event_series"))]
    rows = [
        {"series_id": series_id, "audience": "meetings", "offset_minutes": minutes}
        for series_id in series_ids
        for minutes in DEFAULT_OFFSETS
    ]
    if rows:
        op.bulk_insert(rule, rows)


def downgrade():
    op.execute("DELETE FROM reminder_rule WHERE audience = 'meetings'")
    _replace_check(BEFORE)
