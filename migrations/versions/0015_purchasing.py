"""purchasing: purchase orders for material, receipts with lead times, purchase needs

Revision ID: 0015_purchasing
Revises: 0014_piece_holds
Create Date: 2026-12-02 04:17:47.493682

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_purchasing'
down_revision = '0014_piece_holds'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('purchase_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.CheckConstraint("status IN ('draft','sent','partly_received','received','cancelled')", name=op.f('ck_purchase_orders_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_purchase_orders_created_by_id_users')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_purchase_orders_sent_by_id_users')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_purchase_orders_vendor_id_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_purchase_orders_number'))
    )
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_orders_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('purchase_order_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('buy_unit', sa.String(length=10), nullable=False),
    sa.Column('count', sa.BigInteger(), nullable=False),
    sa.Column('each_qty', sa.BigInteger(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('received_qty', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.CheckConstraint("status IN ('sent','partly_received','received','cancelled')", name=op.f('ck_purchase_order_lines_status')),
    sa.CheckConstraint('count > 0 AND each_qty > 0', name=op.f('ck_purchase_order_lines_qty_pos')),
    sa.CheckConstraint('received_qty >= 0', name=op.f('ck_purchase_order_lines_received_nonneg')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_purchase_order_lines_material_id_materials')),
    sa.ForeignKeyConstraint(['po_id'], ['purchase_orders.id'], name=op.f('fk_purchase_order_lines_po_id_purchase_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_lines')),
    sa.UniqueConstraint('po_id', 'line_no', name=op.f('uq_purchase_order_lines_po_id_line_no'))
    )
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_lines_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_lines_po_id'), ['po_id'], unique=False)

    op.create_table('purchase_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('days_late', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['line_id'], ['purchase_order_lines.id'], name=op.f('fk_purchase_receipts_line_id_purchase_order_lines')),
    sa.ForeignKeyConstraint(['lot_id'], ['material_lots.id'], name=op.f('fk_purchase_receipts_lot_id_material_lots')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_purchase_receipts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_receipts')),
    sa.UniqueConstraint('lot_id', name=op.f('uq_purchase_receipts_lot_id'))
    )
    with op.batch_alter_table('purchase_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_receipts_line_id'), ['line_id'], unique=False)

    op.create_table('purchase_needs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('needed_by', sa.Date(), nullable=False),
    sa.Column('job_starts', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open','ordered','cancelled')", name=op.f('ck_purchase_needs_status')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_purchase_needs_quantity_pos')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_purchase_needs_job_id_jobs')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_purchase_needs_material_id_materials')),
    sa.ForeignKeyConstraint(['po_line_id'], ['purchase_order_lines.id'], name=op.f('fk_purchase_needs_po_line_id_purchase_order_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_needs'))
    )
    with op.batch_alter_table('purchase_needs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_needs_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_needs_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_needs_po_line_id'), ['po_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_needs_status'), ['status'], unique=False)

    # A plain ADD COLUMN: a batch copy of materials would drop the table under the parts that refer to it.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE materials ADD COLUMN supplier_id INTEGER REFERENCES vendors (id)')
    else:
        op.add_column('materials', sa.Column('supplier_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_materials_supplier_id_vendors'), 'materials', 'vendors', ['supplier_id'], ['id'])


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_materials_supplier_id_vendors'), 'materials', type_='foreignkey')
    op.drop_column('materials', 'supplier_id')

    with op.batch_alter_table('purchase_needs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_needs_status'))
        batch_op.drop_index(batch_op.f('ix_purchase_needs_po_line_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_needs_material_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_needs_job_id'))

    op.drop_table('purchase_needs')
    with op.batch_alter_table('purchase_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_receipts_line_id'))

    op.drop_table('purchase_receipts')
    with op.batch_alter_table('purchase_order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_lines_po_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_lines_material_id'))

    op.drop_table('purchase_order_lines')
    with op.batch_alter_table('purchase_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_orders_vendor_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_orders_status'))

    op.drop_table('purchase_orders')
