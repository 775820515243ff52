"""scans: index by station and id

A station's last scan is read with its state on every scan (to tell a scanner's double read), and
its recent scans are listed on its page: both walk this index instead of the whole table.

Revision ID: 0005_scan_reads
Revises: 0004_session_security
Create Date: 2026-12-01 20:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005_scan_reads'
down_revision = '0004_session_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index('ix_scans_station_id_id', ['station_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_station_id_id')
