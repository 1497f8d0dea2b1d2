"""`catalog import table` and `catalog export table`: spreadsheets in and out.

    catalog import table FILE --org ORG [--map COLUMN=FIELD ...] [--dry-run] [--publish]
                         [--create-providers] [--with-suggested-occupations] [--report FILE.json|FILE.csv]
    catalog export table [--org ORG] --format csv|xlsx [--output FILE]

Import: the mapping is detected from the header (`--map "COLUMN=field"` overrides, `=ignore`
drops a column); `--dry-run` changes nothing; the report has a summary and a line per row. Exit
status 1 when the file cannot be imported at all (with the reason), else 0; the summary line
says how many rows failed. Export: every credential (of ORG, or all), drafts and archived ones
too with their status, never contributor notes; formula-like cells are neutralised.

Both commands join the `import` and `export` groups in cli/__init__.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from catalog.imports.mapping import FIELD_NAMES
from cli.context import settings


@click.command("table")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_name", required=True, help="The organization the credentials belong to (name or id).")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Map a column to an import field (or to `ignore`); repeatable. Fields: "
                   + ", ".join(FIELD_NAMES) + ".")
@click.option("--dry-run", is_flag=True, help="Do everything except save; report what would happen.")
@click.option("--publish", is_flag=True, help="Publish the imported credentials (those complete enough).")
@click.option("--create-providers", is_flag=True, help="Create education-provider organizations for unknown providers.")
@click.option("--with-suggested-occupations", is_flag=True,
              help="Add the occupations the CIP-SOC crosswalk suggests for each row's CIP code (marked in the report).")
@click.option("--report", "reports", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to FILE.json or FILE.csv; repeatable.")
@click.option("--user", "user_email", help="Record the changes as made by this user (default: the system).")
def import_table_command(file: Path, org_name: str, maps: tuple[str, ...], dry_run: bool, publish: bool,
                         create_providers: bool, with_suggested_occupations: bool, reports: tuple[Path, ...],
                         user_email: str | None) -> None:
    """Import FILE (CSV or XLSX) as credentials of ORG."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from catalog.accounts import service as accounts
    from catalog.imports.export import report_lines
    from catalog.imports.mapping import MappingError, parse_overrides
    from catalog.imports.pipeline import ImportOptions
    from catalog.imports.spreadsheet import import_table
    from catalog.imports.tables import CLI_LIMITS, TableError
    from store.db import get_sessionmaker

    session = get_sessionmaker(settings().database_url)()
    try:
        try:
            org = accounts.get_org(session, org_name)
            user = accounts.get_user(session, user_email) if user_email else None
            overrides = parse_overrides(list(maps))
        except (accounts.NotFound, MappingError) as exc:
            raise click.ClickException(str(exc)) from exc
        options = ImportOptions(dry_run=dry_run, publish=publish, create_providers=create_providers,
                                with_suggested_occupations=with_suggested_occupations)
        with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("rows", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                report = import_table(session, org.id, file, options, overrides=overrides, limits=CLI_LIMITS,
                                      user=user, filename=file.name, progress=progress)
            except (TableError, MappingError) as exc:
                raise click.ClickException(str(exc)) from exc
    finally:
        session.close()
    if not dry_run and (report["summary"]["created"] or report["summary"]["updated"]):
        from workers.nudge import send_nudge

        send_nudge(settings())  # published imports reach the index now, not at beat's next tick
    for path in reports:  # streamed: a large report's rows wait in a temporary file, not in memory
        with open(path, "w", encoding="utf-8", newline="") as out:
            if path.suffix.lower() == ".csv":
                out.writelines(report_lines(report.rows()))
            else:
                report.write_json(out)
    report.close()
    click.echo("mapping: " + ", ".join(f"{column} -> {field}" for column, field in report["mapping"].items()))
    s = report["summary"]
    click.echo(f"{'dry run: ' if dry_run else ''}{file.name}: {s['created']} created, {s['updated']} updated, "
               f"{s['unchanged']} unchanged, {s['failed']} failed")


@click.command("table")
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
