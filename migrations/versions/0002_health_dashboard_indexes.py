"""covering indexes for the health dashboard: failed and pending appointments, attempts per day

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COLUMNS = [
    'sync_status', 'company_id', 'last_error_category', 'starts_at', 'status', 'failed_since', 'staff_id',
    'service_id', 'next_retry_at', 'last_attempt_at', 'created_at',
]


def upgrade():
    op.create_index('ix_appointment_health', 'appointment', COLUMNS, unique=False)
    op.create_index(
        'ix_sync_attempt_at_succeeded_appointment', 'sync_attempt', ['at', 'succeeded', 'appointment_id'], unique=False
    )


def downgrade():
    op.drop_index('ix_sync_attempt_at_succeeded_appointment', table_name='sync_attempt')
    op.drop_index('ix_appointment_health', table_name='appointment')
