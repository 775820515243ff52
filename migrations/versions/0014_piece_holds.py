"""piece holds: rework operations added to a job (who, when, why) and where a hold's reworked pieces went

Revision ID: 0014_piece_holds
Revises: 0013_cut_plans
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_piece_holds'
down_revision = '0013_cut_plans'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_operations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rework_of_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('added_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('added_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('added_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_job_operations_rework_of_id_job_operations'),
                                    'job_operations', ['rework_of_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_job_operations_added_by_id_users'), 'users',
                                    ['added_by_id'], ['id'])
    with op.batch_alter_table('quality_holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rework_operation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_quality_holds_rework_operation_id_job_operations'),
                                    'job_operations', ['rework_operation_id'], ['id'])


def downgrade():
    with op.batch_alter_table('quality_holds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quality_holds_rework_operation_id_job_operations'),
                                 type_='foreignkey')
        batch_op.drop_column('rework_operation_id')
    with op.batch_alter_table('job_operations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_job_operations_added_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_job_operations_rework_of_id_job_operations'), type_='foreignkey')
        batch_op.drop_column('added_reason')
        batch_op.drop_column('added_at')
        batch_op.drop_column('added_by_id')
        batch_op.drop_column('rework_of_id')
