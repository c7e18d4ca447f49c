"""Cal.com request ids are text from outside: stored whole

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 02:34:19.557385

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_attempt', schema=None) as batch_op:
        batch_op.alter_column('request_id',
               existing_type=sa.VARCHAR(length=64),
               type_=sa.Text(),
               existing_nullable=True)



def downgrade():
    with op.batch_alter_table('sync_attempt', schema=None) as batch_op:
        batch_op.alter_column('request_id',
               existing_type=sa.Text(),
               type_=sa.VARCHAR(length=64),
               existing_nullable=True)

