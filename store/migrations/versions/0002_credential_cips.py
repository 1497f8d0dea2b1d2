"""CIP codes move from a JSON column on credentials to a link table, like the other vocabularies

With a link table, per-code credential counts and the credentials a CIP relabel makes stale are
one indexed query instead of a scan of every published credential in Python. Existing codes are
copied in their order; downgrade copies them back.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 11:30:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

credentials = sa.table("credentials", sa.column("id", sa.Integer), sa.column("cip_codes", sa.JSON))
links = sa.table("credential_cips", sa.column("credential_id", sa.Integer), sa.column("code", sa.String),
                 sa.column("position", sa.Integer))


def _codes(value) -> list[str]:
    if isinstance(value, str):  # some drivers hand JSON back as text
        value = json.loads(value)
    seen, out = set(), []
    for code in value or []:
        if isinstance(code, str) and code and code not in seen:
            seen.add(code)
            out.append(code)
    return out


def upgrade() -> None:
    op.create_table('credential_cips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credential_id', 'code')
    )
    with op.batch_alter_table('credential_cips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_cips_code'), ['code'], unique=False)

    bind = op.get_bind()
    rows = [{"credential_id": cid, "code": code, "position": position}
            for cid, value in bind.execute(sa.select(credentials.c.id, credentials.c.cip_codes))
            for position, code in enumerate(_codes(value))]
    if rows:
        op.bulk_insert(links, rows)

    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_column('cip_codes')


def downgrade() -> None:
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cip_codes', sa.JSON(), nullable=False, server_default='[]'))

    bind = op.get_bind()
    by_credential: dict[int, list[str]] = {}
    for cid, code in bind.execute(sa.select(links.c.credential_id, links.c.code)
                                  .order_by(links.c.credential_id, links.c.position)):
        by_credential.setdefault(cid, []).append(code)
    for cid, codes in by_credential.items():
        bind.execute(credentials.update().where(credentials.c.id == cid).values(cip_codes=codes))

    with op.batch_alter_table('credential_cips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_cips_code'))
    op.drop_table('credential_cips')
