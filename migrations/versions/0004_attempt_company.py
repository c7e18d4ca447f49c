"""attempts carry their company, so per-company figures count them without joining appointments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:15:52.882236

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_id', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_sync_attempt_at_succeeded_appointment'))
        batch_op.create_index('ix_sync_attempt_at_succeeded', ['at', 'succeeded'], unique=False)
        batch_op.create_index('ix_sync_attempt_company_at_succeeded', ['company_id', 'at', 'succeeded'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sync_attempt_company_id_company'), 'company', ['company_id'], ['id'])
    op.execute(
        "UPDATE sync_attempt SET company_id = "
        "(SELECT appointment.company_id FROM appointment WHERE appointment.id = sync_attempt.appointment_id)"
    )


def downgrade():
    with op.batch_alter_table('sync_attempt', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sync_attempt_company_id_company'), type_='foreignkey')
        batch_op.drop_index('ix_sync_attempt_company_at_succeeded')
        batch_op.drop_index('ix_sync_attempt_at_succeeded')
        batch_op.create_index(batch_op.f('ix_sync_attempt_at_succeeded_appointment'), ['at', 'succeeded', 'appointment_id'], unique=False)
        batch_op.drop_column('company_id')

