"""A history entry's section can name every tab

One API PUT or PATCH saves every tab it carries as one change, so its history entry names them
all: "details+occupations+sectors+related+programs+skills" is 51 characters, where the column
held 32 (PostgreSQL refused the entry; SQLite does not check lengths).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 17:35:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('revision_entries', schema=None) as batch_op:
        batch_op.alter_column('section', existing_type=sa.String(length=32), type_=sa.String(length=64),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('revision_entries', schema=None) as batch_op:
        batch_op.alter_column('section', existing_type=sa.String(length=64), type_=sa.String(length=32),
                              existing_nullable=False)
