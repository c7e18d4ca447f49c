"""Intake: the number each company's phone agent answers, why a call's booking was not confirmed, and the
functions the phone agent asked for with their answers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('company') as batch:
        batch.add_column(sa.Column('phone_number', sa.String(length=32), nullable=True))
        batch.create_unique_constraint(op.f('uq_company_phone_number'), ['phone_number'])
    with op.batch_alter_table('call') as batch:
        batch.add_column(sa.Column('booking_error', sa.Text(), nullable=True))

    op.create_table(
        'intake_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_id', sa.Integer(), nullable=False),
        sa.Column('function', sa.String(length=64), nullable=False),
        sa.Column('arguments_key', sa.String(length=64), nullable=False),
        sa.Column('arguments', sa.JSON(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=True),
        sa.Column('answer', sa.JSON(), nullable=True),
        sa.Column('lease_expires_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_intake_request_call_id_call')),
        sa.ForeignKeyConstraint(
            ['appointment_id'], ['appointment.id'], name=op.f('fk_intake_request_appointment_id_appointment')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_request')),
        sa.UniqueConstraint('call_id', 'function', 'arguments_key', name=op.f('uq_intake_request_call_id')),
    )


def downgrade():
    op.drop_table('intake_request')
    with op.batch_alter_table('call') as batch:
        batch.drop_column('booking_error')
    with op.batch_alter_table('company') as batch:
        batch.drop_constraint(op.f('uq_company_phone_number'), type_='unique')
        batch.drop_column('phone_number')
