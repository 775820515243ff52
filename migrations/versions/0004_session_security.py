"""users.session_version: a saved session cookie stops working after sign-out, a new password or deactivation

Revision ID: 0004_session_security
Revises: 0003_station_pin
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_session_security'
down_revision = '0003_station_pin'
branch_labels = None
depends_on = None


def upgrade():
    # Sessions signed in before this revision carry the bare user id and are refused: everyone signs in once more.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
