"""The board at scale: covering indexes for its counts and searches

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-21 10:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

HEALTH_COLUMNS = [
    "sync_status",
    "company_id",
    "last_error_category",
    "starts_at",
    "status",
    "failed_since",
    "staff_id",
    "service_id",
    "next_retry_at",
    "last_attempt_at",
    "created_at",
]
CUSTOMER_SEARCH = "ix_customer_search_trgm"
"""PostgreSQL only (pg_trgm): the board's text search, ILIKE '%…%' on name, e-mail and phone, without a scan of
customer. SQLite has no such index; tests/integration/test_migrations.py knows it."""


def upgrade():
    op.drop_index("ix_appointment_health", table_name="appointment")
    op.create_index("ix_appointment_health", "appointment", [*HEALTH_COLUMNS, "handover_reason"])
    op.create_index(
        "ix_appointment_queue_staff",
        "appointment",
        ["sync_status", "staff_id", "starts_at", "id", "status", "last_error_category", "company_id", "service_id"],
    )
    op.create_index(
        "ix_appointment_staff_slot",
        "appointment",
        ["staff_id", "starts_at", "ends_at", "sync_status", "status", "customer_id"],
    )
    op.create_index("ix_appointment_updated", "appointment", ["updated_at"])
    op.create_index(
        "ix_appointment_same_booking",
        "appointment",
        ["customer_id", "starts_at", "service_id", "status", "sync_status"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            f"CREATE INDEX {CUSTOMER_SEARCH} ON customer"
            " USING gin (name gin_trgm_ops, email gin_trgm_ops, phone gin_trgm_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {CUSTOMER_SEARCH}")
    op.drop_index("ix_appointment_same_booking", table_name="appointment")
    op.drop_index("ix_appointment_updated", table_name="appointment")
    op.drop_index("ix_appointment_staff_slot", table_name="appointment")
    op.drop_index("ix_appointment_queue_staff", table_name="appointment")
    op.drop_index("ix_appointment_health", table_name="appointment")
    op.create_index("ix_appointment_health", "appointment", HEALTH_COLUMNS)
