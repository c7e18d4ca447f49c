"""The engine runs by itself: its passes, bulk retry runs, handover to a person, clean-up of the past

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 21:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handover_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_reason', sa.Text(), nullable=True))
        batch_op.create_index('ix_appointment_closed_at', ['closed_at'], unique=False)

    op.create_table(
        'engine_pass',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('tried', sa.Integer(), nullable=False),
        sa.Column('synced', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('deferred', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_engine_pass')),
    )
    op.create_index('ix_engine_pass_started_at', 'engine_pass', ['started_at'], unique=False)

    op.create_table(
        'bulk_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.Column('started_by_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.Enum('running', 'done', 'cancelled', name='bulkrunstate', native_enum=False, length=32), nullable=False),
        sa.Column('include_unchanged', sa.Boolean(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_bulk_run_company_id_company')),
        sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_bulk_run_started_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_run')),
    )
    op.create_table(
        'bulk_run_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.Enum('synced', 'failed', 'skipped', name='bulkitemoutcome', native_enum=False, length=32), nullable=True),
        sa.Column('error_category', sa.Enum('HOST_CONFLICT', 'VALIDATION_ERROR', 'PAST_START', 'OUT_OF_BOUNDS', 'NOT_FOUND', 'AUTH', 'RATE_LIMITED', 'TIMEOUT', 'CONNECTION', 'SERVER_ERROR', 'BAD_RESPONSE', 'UNKNOWN', 'NO_STAFF', 'NO_EVENT_TYPE', 'PAST_APPOINTMENT', 'MISSING_CONTACT', name='errorcategory', native_enum=False, length=32), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_bulk_run_item_appointment_id_appointment')),
        sa.ForeignKeyConstraint(['run_id'], ['bulk_run.id'], name=op.f('fk_bulk_run_item_run_id_bulk_run')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_run_item')),
    )
    op.create_index('ix_bulk_run_item_run_outcome', 'bulk_run_item', ['run_id', 'outcome'], unique=False)


def downgrade():
    op.drop_index('ix_bulk_run_item_run_outcome', table_name='bulk_run_item')
    op.drop_table('bulk_run_item')
    op.drop_table('bulk_run')
    op.drop_index('ix_engine_pass_started_at', table_name='engine_pass')
    op.drop_table('engine_pass')
    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_index('ix_appointment_closed_at')
        batch_op.drop_column('closed_reason')
        batch_op.drop_column('closed_at')
        batch_op.drop_column('handover_reason')
