"""audit log: actor label, address, field changes, guards; center and user admin fields

Revision ID: a17d0a5e2b91
Revises: c4f1a9e27d35
Create Date: 2026-12-03 11:00:00.000000

Audit rows get who acted as written at the time (`actor_label`), the request's address and
the changed fields (`changes`), and triggers that refuse UPDATE and DELETE of them on both
backends (the app never edits an audit row). Centers get a phone, a logo address, the public
summary opt-in and the demo mark; users the demo mark.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a17d0a5e2b91'
down_revision = 'c4f1a9e27d35'
branch_labels = None
depends_on = None

SQLITE_GUARDS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log rows cannot be changed'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log rows cannot be deleted'); END",
)
POSTGRESQL_GUARDS = (
    "CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log rows cannot be changed or deleted'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
)


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('actor_label', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('remote_addr', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
    op.execute("UPDATE audit_log SET changes = '{}'")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('changes', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('center', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('logo_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column(
            'shows_public_summary', sa.Boolean(), server_default=sa.false(), nullable=False
        ))
        batch_op.add_column(
            sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_demo', sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    guards = POSTGRESQL_GUARDS if op.get_bind().dialect.name == 'postgresql' else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_log_no_change ON audit_log')
        op.execute('DROP FUNCTION audit_log_refuse_change()')
    else:
        op.execute('DROP TRIGGER audit_log_no_update')
        op.execute('DROP TRIGGER audit_log_no_delete')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('is_demo')
    with op.batch_alter_table('center', schema=None) as batch_op:
        batch_op.drop_column('is_demo')
        batch_op.drop_column('shows_public_summary')
        batch_op.drop_column('logo_url')
        batch_op.drop_column('contact_phone')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_column('changes')
        batch_op.drop_column('remote_addr')
        batch_op.drop_column('actor_label')
