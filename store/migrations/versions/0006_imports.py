"""Imports: a stable import key on credentials, and import jobs

`credentials.external_id` is the id a source gave the record (an ETPL "Program ID", a CTDL
CTID); `credentials.import_key` is what a re-import matches on within the organization: `id:` plus
the external id when the source has one, otherwise `name:` plus the normalised name (and
provider). Unique per organization, so two concurrent imports cannot create the same record twice.

`import_jobs` holds one upload and what became of it (dry run, confirmed run, report), for any
source (`kind`: `table` for spreadsheets, `ctdl` for Credential Engine JSON-LD). The uploaded file
is kept in the row because the web process and the Celery worker may not share a disk.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 13:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('import_key', sa.String(length=400), nullable=True))
        batch_op.create_index('ix_credentials_import_key', ['org_id', 'import_key'], unique=True)

    op.create_table(
        'import_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('filename', sa.String(length=300), nullable=False),
        sa.Column('upload', sa.LargeBinary(), nullable=True),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('done_rows', sa.Integer(), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_import_jobs_org_id', 'import_jobs', ['org_id'])


def downgrade() -> None:
    op.drop_index('ix_import_jobs_org_id', table_name='import_jobs')
    op.drop_table('import_jobs')
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_index('ix_credentials_import_key')
        batch_op.drop_column('import_key')
        batch_op.drop_column('external_id')
