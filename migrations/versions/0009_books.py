"""books: every change to a plan kept (plan_changes), NCRs, order lines that can be cancelled

Revision ID: 0009_books
Revises: 0008_shipments
Create Date: 2026-12-02 00:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_books'
down_revision = '0008_shipments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('order_line_id', sa.Integer(), nullable=True),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.Column('what', sa.String(length=30), nullable=False),
    sa.Column('old_value', sa.String(length=200), nullable=True),
    sa.Column('new_value', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_plan_changes_job_id_jobs')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_plan_changes_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_plan_changes_release_id_releases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_plan_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_changes'))
    )
    with op.batch_alter_table('plan_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_changes_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_changes_order_line_id'), ['order_line_id'], unique=False)

    op.create_table('ncrs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('hold_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('job_operation_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('found_by_id', sa.Integer(), nullable=True),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cause', sa.String(length=10), nullable=True),
    sa.Column('cause_note', sa.Text(), nullable=True),
    sa.Column('disposition', sa.String(length=20), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('corrective_action', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open','closed')", name=op.f('ck_ncrs_status')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_ncrs_quantity_pos')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_ncrs_closed_by_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_ncrs_decided_by_id_users')),
    sa.ForeignKeyConstraint(['found_by_id'], ['users.id'], name=op.f('fk_ncrs_found_by_id_users')),
    sa.ForeignKeyConstraint(['hold_id'], ['quality_holds.id'], name=op.f('fk_ncrs_hold_id_quality_holds')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_ncrs_job_id_jobs')),
    sa.ForeignKeyConstraint(['job_operation_id'], ['job_operations.id'], name=op.f('fk_ncrs_job_operation_id_job_operations')),
    sa.ForeignKeyConstraint(['part_id'], ['parts.id'], name=op.f('fk_ncrs_part_id_parts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ncrs')),
    sa.UniqueConstraint('hold_id', name=op.f('uq_ncrs_hold_id')),
    sa.UniqueConstraint('number', name=op.f('uq_ncrs_number'))
    )
    with op.batch_alter_table('ncrs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ncrs_cause'), ['cause'], unique=False)
        batch_op.create_index(batch_op.f('ix_ncrs_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ncrs_part_id'), ['part_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ncrs_status'), ['status'], unique=False)

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), server_default='open', nullable=False))



def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('status')

    with op.batch_alter_table('ncrs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ncrs_status'))
        batch_op.drop_index(batch_op.f('ix_ncrs_part_id'))
        batch_op.drop_index(batch_op.f('ix_ncrs_job_id'))
        batch_op.drop_index(batch_op.f('ix_ncrs_cause'))

    op.drop_table('ncrs')
    with op.batch_alter_table('plan_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_changes_order_line_id'))
        batch_op.drop_index(batch_op.f('ix_plan_changes_job_id'))

    op.drop_table('plan_changes')
