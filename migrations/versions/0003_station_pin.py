"""station PIN: inspectors and administrators confirm their badge with a PIN at a station

Revision ID: 0003_station_pin
Revises: 0002_engineering_precision
Create Date: 2026-12-01 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_station_pin'
down_revision = '0002_engineering_precision'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pin_hash', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('pin_hash')
