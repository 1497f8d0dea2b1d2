"""users.session_version: a counter in every login session, raised to end all of a user's sessions

A session cookie names `<user id>:<session version>`; the web app accepts it only while the
version matches this column. Logging out and changing the password raise it, so a cookie saved
before either (or stolen) no longer logs anyone in. Existing users start at 1; sessions signed
before this migration carry no version and end with it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
