"""Reconciliation: each run over a company's calls, appointments and Cal.com bookings, and what it found

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-15 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MISMATCH_KINDS = (
    'call_without_appointment', 'booking_cancelled', 'booking_missing', 'time_differs', 'host_differs',
    'orphan_booking',
)


def upgrade():
    op.create_table(
        'reconciliation_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('window_end', sa.DateTime(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('bookings_seen', sa.Integer(), nullable=False),
        sa.Column('appointments_seen', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_reconciliation_run_company_id_company')),
        sa.ForeignKeyConstraint(
            ['requested_by_id'], ['user_account.id'], name=op.f('fk_reconciliation_run_requested_by_id_user_account')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_run')),
    )
    op.create_index(
        'ix_reconciliation_run_company_requested', 'reconciliation_run', ['company_id', 'requested_at'], unique=False
    )

    op.create_table(
        'reconciliation_mismatch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*MISMATCH_KINDS, name='mismatchkind', native_enum=False, length=32), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('call_id', sa.Integer(), nullable=True),
        sa.Column('booking_uid', sa.String(length=64), nullable=True),
        sa.Column('repair', sa.String(length=32), nullable=True),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('repaired_at', sa.DateTime(), nullable=True),
        sa.Column('repaired_by_id', sa.Integer(), nullable=True),
        sa.Column('repair_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['run_id'], ['reconciliation_run.id'], name=op.f('fk_reconciliation_mismatch_run_id_reconciliation_run')
        ),
        sa.ForeignKeyConstraint(
            ['appointment_id'], ['appointment.id'], name=op.f('fk_reconciliation_mismatch_appointment_id_appointment')
        ),
        sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_reconciliation_mismatch_call_id_call')),
        sa.ForeignKeyConstraint(
            ['repaired_by_id'], ['user_account.id'],
            name=op.f('fk_reconciliation_mismatch_repaired_by_id_user_account'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_mismatch')),
    )
    op.create_index(
        'ix_reconciliation_mismatch_appointment_id', 'reconciliation_mismatch', ['appointment_id'], unique=False
    )
    op.create_index('ix_reconciliation_mismatch_run_kind', 'reconciliation_mismatch', ['run_id', 'kind'], unique=False)


def downgrade():
    op.drop_index('ix_reconciliation_mismatch_run_kind', table_name='reconciliation_mismatch')
    op.drop_index('ix_reconciliation_mismatch_appointment_id', table_name='reconciliation_mismatch')
    op.drop_table('reconciliation_mismatch')
    op.drop_index('ix_reconciliation_run_company_requested', table_name='reconciliation_run')
    op.drop_table('reconciliation_run')
