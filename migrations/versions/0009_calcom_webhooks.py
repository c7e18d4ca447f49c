"""Cal.com webhooks: every delivery stored whole, and the bookings made in Cal.com without Sync Desk

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('trigger', sa.String(length=64), nullable=True),
        sa.Column('booking_uid', sa.String(length=64), nullable=True),
        sa.Column('raw_body', sa.Text(), nullable=False),
        sa.Column('signature_valid', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.Enum('received', 'applied', 'already in step', 'not applied', 'own booking', 'external booking', 'unknown booking', 'ignored: unknown trigger', 'duplicate', 'retry', 'invalid', 'bad signature', name='deliveryoutcome', native_enum=False, length=32), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('replay_key', sa.String(length=64), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('company_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_webhook_delivery_appointment_id_appointment')),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_webhook_delivery_company_id_company')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
    )
    op.create_index('ix_webhook_delivery_received_at', 'webhook_delivery', ['received_at'], unique=False)
    op.create_index('ix_webhook_delivery_booking_uid', 'webhook_delivery', ['booking_uid'], unique=False)
    op.create_index('ix_webhook_delivery_replay_key', 'webhook_delivery', ['replay_key'], unique=False)
    op.create_index('ix_webhook_delivery_appointment_id', 'webhook_delivery', ['appointment_id'], unique=False)
    op.create_index('ix_webhook_delivery_company_received', 'webhook_delivery', ['company_id', 'received_at'], unique=False)

    op.create_table(
        'external_booking',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=64), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('event_type_id', sa.Integer(), nullable=True),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('attendee_name', sa.Text(), nullable=True),
        sa.Column('attendee_email', sa.Text(), nullable=True),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('cancellation_reason', sa.Text(), nullable=True),
        sa.Column('rescheduled_from_uid', sa.String(length=64), nullable=True),
        sa.Column('source_delivery_id', sa.Integer(), nullable=False),
        sa.Column('last_delivery_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_external_booking_company_id_company')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_external_booking_staff_id_staff')),
        sa.ForeignKeyConstraint(['source_delivery_id'], ['webhook_delivery.id'], name=op.f('fk_external_booking_source_delivery_id_webhook_delivery')),
        sa.ForeignKeyConstraint(['last_delivery_id'], ['webhook_delivery.id'], name=op.f('fk_external_booking_last_delivery_id_webhook_delivery')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_booking')),
        sa.UniqueConstraint('uid', name=op.f('uq_external_booking_uid')),
    )
    op.create_index('ix_external_booking_staff_id', 'external_booking', ['staff_id'], unique=False)
    op.create_index('ix_external_booking_rescheduled_from_uid', 'external_booking', ['rescheduled_from_uid'], unique=False)
    op.create_index('ix_external_booking_company_starts', 'external_booking', ['company_id', 'starts_at'], unique=False)


def downgrade():
    op.drop_index('ix_external_booking_company_starts', table_name='external_booking')
    op.drop_index('ix_external_booking_rescheduled_from_uid', table_name='external_booking')
    op.drop_index('ix_external_booking_staff_id', table_name='external_booking')
    op.drop_table('external_booking')
    op.drop_index('ix_webhook_delivery_company_received', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_appointment_id', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_replay_key', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_booking_uid', table_name='webhook_delivery')
    op.drop_index('ix_webhook_delivery_received_at', table_name='webhook_delivery')
    op.drop_table('webhook_delivery')
