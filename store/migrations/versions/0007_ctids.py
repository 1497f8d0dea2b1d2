"""CTIDs on credentials and organizations, and the CTDL records credentials were imported from

Every credential and organization gets a CTID (`ce-` + a UUID), the identifier the Credential
Registry and CTDL exports use. Existing rows get a fresh one here; new rows get one when created
(store.ctids). The column is `ce_ctid`: PostgreSQL reserves `ctid` for a system column.
`ctdl_originals` keeps the CTDL record an imported credential came from, so
export can give back what the catalog does not model.

Revision ID: 0007
Revises: 0006 (imports)
Create Date: 2026-11-30 13:30:00
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TABLES = ("organizations", "credentials")


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('ce_ctid', sa.String(length=39), nullable=True))
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("ce_ctid", sa.String))
        ids = bind.execute(sa.select(table.c.id).where(table.c.ce_ctid.is_(None))).scalars().all()
        for row_id in ids:
            bind.execute(table.update().where(table.c.id == row_id).values(ce_ctid=f"ce-{uuid.uuid4()}"))
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column('ce_ctid', existing_type=sa.String(length=39), nullable=False)
            batch_op.create_unique_constraint(f'uq_{name}_ce_ctid', ['ce_ctid'])

    op.create_table(
        'ctdl_originals',
        sa.Column('credential_id', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('credential_id'),
    )


def downgrade() -> None:
    op.drop_table('ctdl_originals')
    for name in reversed(TABLES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_constraint(f'uq_{name}_ce_ctid', type_='unique')
            batch_op.drop_column('ce_ctid')
