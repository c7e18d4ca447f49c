"""Cases: who owns an appointment's case, its notes and contacts with the customer

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-23 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('appointment_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum('note', 'contact', name='caseentrykind', native_enum=False, length=32), nullable=False),
        sa.Column('channel', sa.Enum('phone', 'email', 'sms', 'in_person', name='contactchannel', native_enum=False, length=32), nullable=True),
        sa.Column('outcome', sa.Enum('reached', 'no_answer', 'left_message', 'agreed', 'declined', name='contactoutcome', native_enum=False, length=32), nullable=True),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_case_entry_appointment_id_appointment')),
        sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_case_entry_author_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_entry')),
    )
    with op.batch_alter_table('case_entry', schema=None) as batch_op:
        batch_op.create_index('ix_case_entry_appointment_at', ['appointment_id', 'at'], unique=False)

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owner_since', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointment_owner_id'), ['owner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appointment_owner_id_user_account'), 'user_account', ['owner_id'], ['id'])

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action_appointment_at', ['action', 'appointment_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_action_appointment_at')

    with op.batch_alter_table('appointment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointment_owner_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_appointment_owner_id'))
        batch_op.drop_column('owner_since')
        batch_op.drop_column('owner_id')

    with op.batch_alter_table('case_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_case_entry_appointment_at')

    op.drop_table('case_entry')
