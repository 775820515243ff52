"""cartons: a finished-goods lot split into cartons names the lot it came from (fg_lots.parent_id)

Revision ID: 0012_cartons
Revises: 0011_counts
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_cartons'
down_revision = '0011_counts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fg_lots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_fg_lots_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_fg_lots_parent_id_fg_lots'), 'fg_lots', ['parent_id'], ['id'])


def downgrade():
    with op.batch_alter_table('fg_lots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_fg_lots_parent_id_fg_lots'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_fg_lots_parent_id'))
        batch_op.drop_column('parent_id')
