"""cut plans: a job's planned stock units (remnants first); a material's kerf, minimum remnant and weight per inch

Revision ID: 0013_cut_plans
Revises: 0012_cartons
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_cut_plans'
down_revision = '0012_cartons'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cut_plan_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('stock_unit_id', sa.Integer(), nullable=False),
    sa.Column('available', sa.BigInteger(), nullable=False),
    sa.Column('pieces', sa.Integer(), nullable=False),
    sa.Column('pull', sa.BigInteger(), nullable=False),
    sa.Column('drop', sa.BigInteger(), nullable=False),
    sa.Column('drop_verdict', sa.String(length=10), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("drop_verdict IN ('remnant','scrap','none')", name=op.f('ck_cut_plan_lines_drop_verdict')),
    sa.CheckConstraint('pieces > 0', name=op.f('ck_cut_plan_lines_pieces_pos')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_cut_plan_lines_job_id_jobs')),
    sa.ForeignKeyConstraint(['stock_unit_id'], ['stock_units.id'], name=op.f('fk_cut_plan_lines_stock_unit_id_stock_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cut_plan_lines')),
    sa.UniqueConstraint('job_id', 'seq', name=op.f('uq_cut_plan_lines_job_id_seq'))
    )
    with op.batch_alter_table('cut_plan_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cut_plan_lines_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cut_plan_lines_stock_unit_id'), ['stock_unit_id'], unique=False)
    # Plain ADD/DROP COLUMN, not a batch copy: SQLite would drop and rebuild materials, which parts reference.
    op.add_column('materials', sa.Column('kerf_in', sa.BigInteger(), nullable=True))
    op.add_column('materials', sa.Column('min_remnant_in', sa.BigInteger(), nullable=True))
    op.add_column('materials', sa.Column('weight_per_in_lb', sa.BigInteger(), nullable=True))


def downgrade():
    op.drop_column('materials', 'weight_per_in_lb')
    op.drop_column('materials', 'min_remnant_in')
    op.drop_column('materials', 'kerf_in')
    with op.batch_alter_table('cut_plan_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cut_plan_lines_stock_unit_id'))
        batch_op.drop_index(batch_op.f('ix_cut_plan_lines_job_id'))
    op.drop_table('cut_plan_lines')
