"""conditions; estimate source and parameters hash; notes and uncertainty flags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:30:00

Adds the ``conditions`` table (cut-offs, minimum thickness, barren interlayer, metre-percent,
with the approving protocol), ``estimates.condition_id``, ``estimates.parameters_hash`` and
``estimates.source`` (the estimate record's hash and file), ``deposits.district_uncertain`` and
``deposits.note``, and on ``published_totals`` the date the figure refers to, the number of
deposits it covers, an uncertainty flag and a note.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'conditions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('deposit_id', sa.Integer(), nullable=False),
        sa.Column('commodity_id', sa.Integer(), nullable=False),
        sa.Column('edge_cutoff', sa.Double(), nullable=True),
        sa.Column('contour_cutoff', sa.Double(), nullable=True),
        sa.Column('min_block_grade', sa.Double(), nullable=True),
        sa.Column('min_thickness_m', sa.Double(), nullable=True),
        sa.Column('max_barren_m', sa.Double(), nullable=True),
        sa.Column('min_metre_grade', sa.Double(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('protocol', sa.String(length=100), nullable=False),
        sa.Column('approved_on', sa.Date(), nullable=False),
        sa.Column('approval_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('temporary', 'permanent')", name=op.f('ck_conditions_kind')),
        sa.ForeignKeyConstraint(['approval_id'], ['approvals.id'],
                                name=op.f('fk_conditions_approval_id_approvals')),
        sa.ForeignKeyConstraint(['commodity_id'], ['commodities.id'],
                                name=op.f('fk_conditions_commodity_id_commodities')),
        sa.ForeignKeyConstraint(['deposit_id'], ['deposits.id'],
                                name=op.f('fk_conditions_deposit_id_deposits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conditions')),
    )
    with op.batch_alter_table('conditions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conditions_deposit_id'), ['deposit_id'],
                              unique=False)

    with op.batch_alter_table('estimates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parameters_hash', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=300), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_estimates_condition_id_conditions'),
                                    'conditions', ['condition_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_estimates_parameters_hash'), ['parameters_hash'],
                              unique=False)

    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district_uncertain', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))

    with op.batch_alter_table('published_totals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('as_of_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('deposit_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('uncertain', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('published_totals', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('uncertain')
        batch_op.drop_column('deposit_count')
        batch_op.drop_column('as_of_date')
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('district_uncertain')
    with op.batch_alter_table('estimates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_estimates_parameters_hash'))
        batch_op.drop_constraint(batch_op.f('fk_estimates_condition_id_conditions'),
                                 type_='foreignkey')
        batch_op.drop_column('source')
        batch_op.drop_column('parameters_hash')
        batch_op.drop_column('condition_id')
    with op.batch_alter_table('conditions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conditions_deposit_id'))
    op.drop_table('conditions')
