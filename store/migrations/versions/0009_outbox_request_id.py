"""Outbox rows carry the id of the web request that wrote them

So one publish can be followed end to end: the web request's log lines, the outbox row, and the
relay's log line when it indexed that row all name the same id (store/request_ids.py). Rows
written outside a web request (the CLI, taxonomy imports, repairs) have none.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('request_id')
