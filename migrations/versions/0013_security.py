"""Security: sessions that can end, login records and throttling, the admin area

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-21 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('reset_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('reset_expires_at', sa.DateTime(), nullable=True))

    op.create_table(
        'login_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_login_event_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_event')),
    )
    with op.batch_alter_table('login_event', schema=None) as batch_op:
        batch_op.create_index('ix_login_event_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_login_event_email_at', ['email', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_event_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('login_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_event_user_id'))
        batch_op.drop_index(batch_op.f('ix_login_event_at'))
        batch_op.drop_index('ix_login_event_email_at')
        batch_op.drop_index('ix_login_event_address_at')
    op.drop_table('login_event')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('reset_expires_at')
        batch_op.drop_column('reset_token_hash')
        batch_op.drop_column('session_generation')
