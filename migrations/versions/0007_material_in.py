"""material in: mill certs as records, material limits, receiving holds, lot corrections, master history

A mill cert's figures (EN 10204 type, standard, grade, heat, chemistry, mechanical properties) are
held against the material's limits; a lot outside them, or without a cert its material requires, is
on a receiving hold until an inspector releases it. A lot's heat, material and supplier change only
through an audited correction after its first movement, and every change to a master record is kept.
Parts keep what their bar per piece is made of (finished length, facing, cutoff width) and materials
the bar end a bar loses, for the bar arithmetic.

Revision ID: 0007_material_in
Revises: 0006_history_indexes
Create Date: 2026-12-02 00:28:49

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_material_in'
down_revision = '0006_history_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('master_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_kind', sa.String(length=30), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('field', sa.String(length=80), nullable=True),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_master_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_master_changes'))
    )
    with op.batch_alter_table('master_changes', schema=None) as batch_op:
        batch_op.create_index('ix_master_changes_record', ['record_kind', 'record_id', 'id'], unique=False)

    op.create_table('material_limits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('property', sa.String(length=20), nullable=False),
    sa.Column('minimum', sa.BigInteger(), nullable=True),
    sa.Column('maximum', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('minimum IS NOT NULL OR maximum IS NOT NULL', name=op.f('ck_material_limits_has_bound')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_limits_material_id_materials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_limits')),
    sa.UniqueConstraint('material_id', 'property', name=op.f('uq_material_limits_material_id_property'))
    )
    op.create_table('lot_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('old_value', sa.String(length=200), nullable=False),
    sa.Column('new_value', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("field IN ('heat_number','material_id','supplier')", name=op.f('ck_lot_corrections_field')),
    sa.CheckConstraint("kind IN ('edit','correction')", name=op.f('ck_lot_corrections_kind')),
    sa.ForeignKeyConstraint(['lot_id'], ['material_lots.id'], name=op.f('fk_lot_corrections_lot_id_material_lots')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lot_corrections_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_corrections'))
    )
    with op.batch_alter_table('lot_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_corrections_lot_id'), ['lot_id'], unique=False)

    op.create_table('mill_certs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('cert_type', sa.String(length=4), nullable=False),
    sa.Column('standard', sa.String(length=60), nullable=False),
    sa.Column('grade', sa.String(length=60), nullable=False),
    sa.Column('heat_number', sa.String(length=60), nullable=False),
    sa.Column('yield_mpa', sa.BigInteger(), nullable=True),
    sa.Column('tensile_mpa', sa.BigInteger(), nullable=True),
    sa.Column('elongation_pct', sa.BigInteger(), nullable=True),
    sa.Column('hardness_hb', sa.BigInteger(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("cert_type IN ('2.1','2.2','3.1','3.2')", name=op.f('ck_mill_certs_cert_type')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_mill_certs_entered_by_id_users')),
    sa.ForeignKeyConstraint(['lot_id'], ['material_lots.id'], name=op.f('fk_mill_certs_lot_id_material_lots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mill_certs'))
    )
    with op.batch_alter_table('mill_certs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mill_certs_lot_id'), ['lot_id'], unique=False)

    op.create_table('receiving_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('placed_by_id', sa.Integer(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('release_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['lot_id'], ['material_lots.id'], name=op.f('fk_receiving_holds_lot_id_material_lots')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['users.id'], name=op.f('fk_receiving_holds_placed_by_id_users')),
    sa.ForeignKeyConstraint(['released_by_id'], ['users.id'], name=op.f('fk_receiving_holds_released_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receiving_holds'))
    )
    with op.batch_alter_table('receiving_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receiving_holds_lot_id'), ['lot_id'], unique=False)

    op.create_table('cert_elements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cert_id', sa.Integer(), nullable=False),
    sa.Column('element', sa.String(length=3), nullable=False),
    sa.Column('percent', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['cert_id'], ['mill_certs.id'], name=op.f('fk_cert_elements_cert_id_mill_certs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cert_elements')),
    sa.UniqueConstraint('cert_id', 'element', name=op.f('uq_cert_elements_cert_id_element'))
    )
    # A plain ADD/DROP COLUMN: a batch copy of materials would drop the table under the parts that refer to it.
    op.add_column('materials', sa.Column('cert_required', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('materials', sa.Column('bar_end_in', sa.BigInteger(), nullable=True))
    op.add_column('parts', sa.Column('finished_length_in', sa.BigInteger(), nullable=True))
    op.add_column('parts', sa.Column('facing_allowance_in', sa.BigInteger(), nullable=True))
    op.add_column('parts', sa.Column('cutoff_width_in', sa.BigInteger(), nullable=True))



def downgrade():
    op.drop_column('parts', 'cutoff_width_in')
    op.drop_column('parts', 'facing_allowance_in')
    op.drop_column('parts', 'finished_length_in')
    op.drop_column('materials', 'bar_end_in')
    op.drop_column('materials', 'cert_required')

    op.drop_table('cert_elements')
    with op.batch_alter_table('receiving_holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receiving_holds_lot_id'))

    op.drop_table('receiving_holds')
    with op.batch_alter_table('mill_certs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mill_certs_lot_id'))

    op.drop_table('mill_certs')
    with op.batch_alter_table('lot_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_corrections_lot_id'))

    op.drop_table('lot_corrections')
    op.drop_table('material_limits')
    with op.batch_alter_table('master_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_master_changes_record')

    op.drop_table('master_changes')
