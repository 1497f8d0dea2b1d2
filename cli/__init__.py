"""`catalog`: the operator's commands, one module per command group.

    catalog db upgrade
    catalog taxonomy import|bind|schemes
    catalog index init|reindex|status|verify|repair|drain|unlock|cleanup
    catalog orgs|users|tokens ...
    catalog demo load
    catalog import table FILE --org ORG [--dry-run] [--map COLUMN=FIELD] [--report FILE.json]
    catalog export table [--org ORG] --format csv|xlsx
    catalog export ctdl | catalog import ctdl | catalog ctdl validate

The CLI sits beside the web app, not inside it: it calls the domain (`catalog/`), the indexer and
the workers directly, and reads its settings from the environment like every other process.
"""
from __future__ import annotations

import click

from cli.accounts import orgs, tokens, users
from cli.ctdl import ctdl, export_ctdl, import_ctdl
from cli.db import db
from cli.demo import demo
from cli.export import export
from cli.imports import import_
from cli.tables import export_table, import_table_command
from cli.index import index
from cli.taxonomy import taxonomy
from store.settings import Settings


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Credential Catalog operator commands."""
    if not isinstance(ctx.obj, Settings):
        ctx.obj = Settings.from_env()


for command in (db, taxonomy, index, orgs, users, tokens, demo, import_, export, ctdl):
    main.add_command(command)

import_.add_command(import_table_command)
import_.add_command(import_ctdl)
export.add_command(export_table)
export.add_command(export_ctdl)
