"""Credentials keep the name the public last saw, and a version for their search document

`last_published_name` is what an archived credential's 410 page and another organization's
link may still show: a rename made after it left the catalog is a draft's, not public. Existing
published credentials take their name; those no longer published take the name they had when
their history last shows them published, or their current name when the history does not go
back that far. Credentials never published keep None, and answer 404 like drafts.

`index_version` is written by the relay as the document's external version and goes up with
every outbox event for the credential, so content that changed without a new revision (an
issuer's rename, a relabelled concept) also gets a new version. It starts at the revision,
which is the version documents in the index carry today.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

credentials = sa.table("credentials", sa.column("id", sa.Integer), sa.column("name", sa.String),
                       sa.column("status", sa.String), sa.column("revision", sa.Integer),
                       sa.column("published_at", sa.DateTime), sa.column("last_published_name", sa.String),
                       sa.column("index_version", sa.Integer))
entries = sa.table("revision_entries", sa.column("credential_id", sa.Integer), sa.column("revision", sa.Integer),
                   sa.column("changes", sa.JSON))


def _changes(value) -> dict:
    if isinstance(value, str):  # some drivers hand JSON back as text
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def last_published_name(name: str, status: str, published_at, history: list[dict]) -> str | None:
    """Undo the history, newest first, until the credential was published; its name then."""
    current = name
    for changes in reversed(history):
        if status == "published":
            return name
        if isinstance(changes.get("name"), list) and changes["name"]:
            name = changes["name"][0]
        if isinstance(changes.get("status"), list) and changes["status"]:
            status = changes["status"][0]
    if status == "published":
        return name
    return current if published_at is not None else None


def upgrade() -> None:
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('index_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_published_name', sa.String(length=300), nullable=True))

    bind = op.get_bind()
    bind.execute(credentials.update().values(index_version=credentials.c.revision))
    bind.execute(credentials.update().where(credentials.c.status == "published")
                 .values(last_published_name=credentials.c.name))
    gone = bind.execute(sa.select(credentials.c.id, credentials.c.name, credentials.c.status,
                                  credentials.c.published_at)
                        .where(credentials.c.status != "published", credentials.c.published_at.is_not(None))).all()
    for cid, name, status, published_at in gone:
        history = [_changes(c) for c in bind.execute(
            sa.select(entries.c.changes).where(entries.c.credential_id == cid).order_by(entries.c.revision)).scalars()]
        bind.execute(credentials.update().where(credentials.c.id == cid)
                     .values(last_published_name=last_published_name(name, status, published_at, history)))


def downgrade() -> None:
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_column('last_published_name')
        batch_op.drop_column('index_version')
