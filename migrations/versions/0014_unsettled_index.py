"""The engine's due terms each from an index: unanswered writes by when they went unanswered

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-22 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_appointment_unsettled', 'appointment', ['uncertain_since'], unique=False)


def downgrade():
    op.drop_index('ix_appointment_unsettled', table_name='appointment')
