"""One writer per appointment: the claim, and the Cal.com write whose outcome is not known

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('claim_expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('uncertain_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('uncertain_request', sa.Text(), nullable=True))
    # Failures whose answer was lost before this was tracked may have booked: the next writer checks first.
    op.execute(
        "UPDATE appointment SET uncertain_request = 'A booking request whose answer was lost' "
        "WHERE sync_status = 'failed' AND calcom_booking_uid IS NULL "
        "AND last_error_category IN ('TIMEOUT', 'CONNECTION', 'SERVER_ERROR', 'BAD_RESPONSE')"
    )


def downgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_column('uncertain_request')
        batch_op.drop_column('uncertain_since')
        batch_op.drop_column('claim_expires_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claim_token')
