"""engineering figures to ten-thousandths

Densities, bar diameters and finished weights were kept as thousandths, which rounded 6061's
0.0975 lb/in³ to 0.098 and put every weight and yield built on it off by half a percent. They are
now kept as ten-thousandths (models._types.Fine): the stored whole numbers are multiplied by ten.
The columns stay BIGINT, so the schema itself does not change.

Revision ID: 0002_engineering_precision
Revises: 0001_initial
"""
from alembic import op


revision = '0002_engineering_precision'
down_revision = '0001_initial'
branch_labels = None
depends_on = None

# (table, column) whose stored step goes from 0.001 to 0.0001.
FINER = (
    ('materials', 'density_lb_per_in3'),
    ('materials', 'diameter_in'),
    ('parts', 'finished_weight_lb'),
)


def upgrade():
    for table, column in FINER:
        op.execute(f'UPDATE {table} SET {column} = {column} * 10 WHERE {column} IS NOT NULL')


def downgrade():
    # Back to thousandths, rounding half away from zero (the figures are never negative).
    for table, column in FINER:
        op.execute(f'UPDATE {table} SET {column} = CAST(ROUND({column} / 10.0) AS BIGINT) '
                   f'WHERE {column} IS NOT NULL')
