"""An import job's report rows in a column of their own, compressed

`import_jobs.report` (JSON) now holds the summary and the first rows only; every row is in
`report_rows`, gzip-compressed JSON lines, which the downloads stream and the page reads only
as far as it shows. A 10,000-row job used to write, and re-read on every page view, a JSON
document of all its rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 19:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_rows', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('report_rows')
