"""quality holds and outside shipments: index by job operation

A scan that settles an operation counts its open holds, and every ship-out and receive-back scan
sums what is still at the vendor for its operation. Without an index both read every hold and
every shipment the shop ever had: measured on a year of history (a million ledger entries, 19,000
past jobs) the sum alone took ~5 ms, three times in each ship-out.

Revision ID: 0006_history_indexes
Revises: 0005_scan_reads
Create Date: 2026-12-02 01:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_history_indexes'
down_revision = '0005_scan_reads'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quality_holds', schema=None) as batch_op:
        batch_op.create_index('ix_quality_holds_job_operation_id', ['job_operation_id'], unique=False)
    with op.batch_alter_table('outside_shipments', schema=None) as batch_op:
        batch_op.create_index('ix_outside_shipments_job_operation_id', ['job_operation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outside_shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_outside_shipments_job_operation_id')
    with op.batch_alter_table('quality_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_holds_job_operation_id')
