"""API tokens may expire: api_tokens.expires_at (NULL: valid until revoked)

Existing tokens keep working as before (no expiry); operators give new ones a lifetime with
`catalog tokens create --expires-in 90d`. Downgrade drops the column and keeps the tokens.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: both SQLite and PostgreSQL add it in place, without copying the table.
    op.add_column('api_tokens', sa.Column('expires_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
