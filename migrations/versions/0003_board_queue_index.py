"""board queue index in start order that also covers its category counts; drop indexes made redundant

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:12:36.706431

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_review'))
        batch_op.drop_index(batch_op.f('ix_appointment_sync_start'))
        batch_op.create_index('ix_appointment_queue', ['sync_status', 'starts_at', 'id', 'status', 'last_error_category', 'company_id'], unique=False)

    with op.batch_alter_table('sync_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_attempt_at_succeeded'))



def downgrade():
    with op.batch_alter_table('sync_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_attempt_at_succeeded'), ['at', 'succeeded'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_queue')
        batch_op.create_index(batch_op.f('ix_appointment_sync_start'), ['sync_status', 'starts_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_review'), ['sync_status', 'company_id', 'last_error_category', 'starts_at'], unique=False)

