"""The dashboard's trend over all companies: the attempt tally by quarter hour; SQLite's first planner statistics

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
    if op.get_bind().dialect.name == "sqlite":
        # Nothing had ever gathered them; the job workers refresh them every hour from now on
        # (ops_ui.planner_statistics), this gives a large database its plans from the first request.
        op.execute("PRAGMA analysis_limit = 1000")
        op.execute("ANALYZE")


def downgrade():
    op.drop_index("ix_sync_attempt_tally_quarter", table_name="sync_attempt_tally")
