"""stocking: a bar held for a customer released to other jobs (who, when, why)

Revision ID: 0010_stocking
Revises: 0009_books
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_stocking'
down_revision = '0009_books'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stocking_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stock_unit_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_stocking_releases_customer_id_customers')),
    sa.ForeignKeyConstraint(['program_id'], ['stocking_programs.id'], name=op.f('fk_stocking_releases_program_id_stocking_programs')),
    sa.ForeignKeyConstraint(['stock_unit_id'], ['stock_units.id'], name=op.f('fk_stocking_releases_stock_unit_id_stock_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_stocking_releases_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocking_releases')),
    sa.UniqueConstraint('stock_unit_id', name=op.f('uq_stocking_releases_stock_unit_id'))
    )
    with op.batch_alter_table('stocking_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stocking_releases_program_id'), ['program_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stocking_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocking_releases_program_id'))
    op.drop_table('stocking_releases')
