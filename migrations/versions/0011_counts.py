"""counts: cycle counts of bins by scan, their lines and the ADJUST entries they became

Revision ID: 0011_counts
Revises: 0010_stocking
Create Date: 2026-12-02 04:18:27.467830

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_counts'
down_revision = '0010_stocking'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('counted_by_id', sa.Integer(), nullable=True),
    sa.Column('station_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tolerance', sa.BigInteger(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('counting','exact','adjusted','waiting','approved','rejected','dropped')", name=op.f('ck_counts_status')),
    sa.ForeignKeyConstraint(['counted_by_id'], ['users.id'], name=op.f('fk_counts_counted_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_counts_decided_by_id_users')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_counts_location_id_locations')),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_counts_station_id_stations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counts'))
    )
    with op.batch_alter_table('counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counts_finished_at'), ['finished_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_counts_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_counts_status'), ['status'], unique=False)

    op.create_table('count_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('stock_unit_id', sa.Integer(), nullable=True),
    sa.Column('fg_lot_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=6), nullable=False),
    sa.Column('expected', sa.BigInteger(), nullable=False),
    sa.Column('counted', sa.BigInteger(), nullable=True),
    sa.Column('booked_location_id', sa.Integer(), nullable=True),
    sa.Column('booked_elsewhere', sa.BigInteger(), nullable=True),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('move_entry_id', sa.Integer(), nullable=True),
    sa.Column('adjust_entry_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(stock_unit_id IS NULL) <> (fg_lot_id IS NULL)', name=op.f('ck_count_lines_one_unit')),
    sa.CheckConstraint('counted IS NULL OR counted > 0', name=op.f('ck_count_lines_counted_pos')),
    sa.CheckConstraint('expected >= 0', name=op.f('ck_count_lines_expected_nonneg')),
    sa.ForeignKeyConstraint(['adjust_entry_id'], ['ledger_entries.id'], name=op.f('fk_count_lines_adjust_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['booked_location_id'], ['locations.id'], name=op.f('fk_count_lines_booked_location_id_locations')),
    sa.ForeignKeyConstraint(['count_id'], ['counts.id'], name=op.f('fk_count_lines_count_id_counts')),
    sa.ForeignKeyConstraint(['fg_lot_id'], ['fg_lots.id'], name=op.f('fk_count_lines_fg_lot_id_fg_lots')),
    sa.ForeignKeyConstraint(['move_entry_id'], ['ledger_entries.id'], name=op.f('fk_count_lines_move_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['stock_unit_id'], ['stock_units.id'], name=op.f('fk_count_lines_stock_unit_id_stock_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_count_lines'))
    )
    with op.batch_alter_table('count_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_count_lines_count_id'), ['count_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_count_lines_fg_lot_id'), ['fg_lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_count_lines_stock_unit_id'), ['stock_unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('count_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_count_lines_stock_unit_id'))
        batch_op.drop_index(batch_op.f('ix_count_lines_fg_lot_id'))
        batch_op.drop_index(batch_op.f('ix_count_lines_count_id'))

    op.drop_table('count_lines')
    with op.batch_alter_table('counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counts_status'))
        batch_op.drop_index(batch_op.f('ix_counts_location_id'))
        batch_op.drop_index(batch_op.f('ix_counts_finished_at'))

    op.drop_table('counts')
