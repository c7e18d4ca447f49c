"""attempts counted per company and quarter hour, for the dashboard trend; filled from existing attempts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 02:20:21.518475

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_attempt_tally',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.DateTime(), nullable=False),
    sa.Column('succeeded', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('company_id', 'quarter', name=op.f('pk_sync_attempt_tally'))
    )
    if op.get_bind().dialect.name == "postgresql":
        quarter = "date_trunc('hour', at) + floor(extract(minute FROM at) / 15) * interval '15 minutes'"
    else:  # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff"
        quarter = (
            "strftime('%Y-%m-%d %H:', at) || printf('%02d', CAST(strftime('%M', at) AS INTEGER) / 15 * 15)"
            " || '\\:00.000000'"  # the backslash keeps ":00" from reading as a bind parameter
        )
    op.execute(
        "INSERT INTO sync_attempt_tally (company_id, quarter, succeeded, failed) "
        f"SELECT coalesce(company_id, 0), {quarter}, "
        "sum(CASE WHEN succeeded THEN 1 ELSE 0 END), sum(CASE WHEN succeeded THEN 0 ELSE 1 END) "
        "FROM sync_attempt GROUP BY 1, 2"
    )


def downgrade():
    op.drop_table('sync_attempt_tally')
