"""`catalog export ...`: the catalog's credentials out, for an operator's own reports.

    catalog export table [--org ORG] --format csv|xlsx [--output FILE]

Every credential (of ORG, or all), drafts and archived ones too with their status; never
contributor notes. Cells that a spreadsheet would run as formulas are neutralised.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.context import settings


@click.group()
def export() -> None:
    """Export the catalog."""


@export.command("table")
@click.option("--org", "org_name", help="Only this organization's credentials (name or id).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (required for xlsx); CSV goes to standard output without it.")
def export_table(org_name: str | None, fmt: str, output: Path | None) -> None:
    """Every credential as one row of a CSV or XLSX table."""
    from catalog.accounts import service as accounts
    from catalog.imports.export import credential_rows, write_csv, write_xlsx
    from store.db import session_scope

    if fmt == "xlsx" and output is None:
        raise click.UsageError("--output FILE.xlsx is required with --format xlsx")
    with session_scope(settings().database_url, write=False) as session:
        try:
            org_id = accounts.get_org(session, org_name).id if org_name else None
        except accounts.NotFound as exc:
            raise click.ClickException(str(exc)) from exc
        rows = credential_rows(session, org_id, audience="organization")
        if fmt == "xlsx":
            count = write_xlsx(rows, output)
        elif output is not None:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = write_csv(rows, out)
        else:
            count = write_csv(rows, sys.stdout)
    click.echo(f"exported {count} credentials" + (f" to {output}" if output else ""), err=True)
