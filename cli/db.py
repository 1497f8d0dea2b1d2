"""`catalog db`: the database schema."""
from __future__ import annotations

import click

from cli.context import settings


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply Alembic migrations up to head."""
    from store.migrate import upgrade

    upgrade(settings().database_url)
    click.echo("database: migrated to head")

