"""The dashboard's trend over all companies: the attempt tally by quarter hour

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 13:10:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_sync_attempt_tally_quarter", "sync_attempt_tally", ["quarter", "succeeded", "failed"], unique=False
    )


def downgrade():
    op.drop_index("ix_sync_attempt_tally_quarter", table_name="sync_attempt_tally")
