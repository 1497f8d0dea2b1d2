"""`catalog export ...`: the catalog's credentials out, for an operator's own reports.

    catalog export table [--org ORG] --format csv|xlsx [--output FILE]
    catalog export ctdl [--org ORG] [--out FILE.jsonl | DIR]

Every credential (of ORG, or all), drafts and archived ones too with their status; never
contributor notes. Cells that a spreadsheet would run as formulas are neutralised.

`export ctdl` is the public view instead: published credentials and their organizations as CTDL
JSON-LD (docs/ctdl.md), streamed in batches with a progress bar on a terminal.
"""
from __future__ import annotations

import json
import sys
from contextlib import nullcontext
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


def progress_bar(description: str, total: int | None):
    """A rich progress bar on stderr, shown only on a terminal; `advance()` it per record."""
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty())
    task = bar.add_task(description, total=total)
    return bar, lambda n=1: bar.advance(task, n)


@export.command("ctdl")
@click.option("--org", "org_ref", help="Only this organization (id or exact name) and its credentials.")
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="FILE.jsonl (one record per line) or a directory (one <ctid>.json per record); "
                   "standard output when left out.")
def export_ctdl(org_ref: str | None, out: Path | None) -> None:
    """Published credentials and their organizations as CTDL JSON-LD (Credential Registry records)."""
    from catalog.accounts.service import AccountError, get_org
    from catalog.ctdl.records import count_published, credential_records, organization_records
    from store.db import get_sessionmaker

    config = settings()
    with get_sessionmaker(config.database_url, write=False)() as session:
        org_id = None
        if org_ref:
            try:
                org_id = get_org(session, org_ref).id
            except AccountError as exc:
                raise click.ClickException(exc.message) from exc
        total = count_published(session, org_id)
        writer = _writer(out)
        bar, advance = progress_bar("export ctdl", total) if out else (nullcontext(), lambda n=1: None)
        counts = {"organizations": 0, "credentials": 0}
        with writer, bar:
            for record in organization_records(session, config.ctdl_base_uri, org_id):
                writer.write(record)
                counts["organizations"] += 1
            for record in credential_records(session, config.ctdl_base_uri, org_id):
                writer.write(record)
                counts["credentials"] += 1
                advance()
    where = f" to {out}" if out else ""
    click.echo(f"export ctdl: {counts['credentials']} credentials, {counts['organizations']} organizations{where}",
               err=out is None)


class _Writer:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        pass


class _Lines(_Writer):
    def __init__(self, stream, owned: bool):
        self.stream, self.owned = stream, owned

    def write(self, record: dict) -> None:
        self.stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def close(self) -> None:
        if self.owned:
            self.stream.close()
        else:
            self.stream.flush()


class _Directory(_Writer):
    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory

    def write(self, record: dict) -> None:
        ctid = record["@graph"][0]["ceterms:ctid"]
        (self.directory / f"{ctid}.json").write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n",
                                                     encoding="utf-8")


def _writer(out: Path | None) -> _Writer:
    if out is None:
        return _Lines(sys.stdout, owned=False)
    if out.is_dir() or not out.suffix:
        return _Directory(out)
    if out.suffix.lower() not in (".jsonl", ".ndjson"):
        raise click.BadParameter("give a .jsonl file or a directory", param_hint="--out")
    out.parent.mkdir(parents=True, exist_ok=True)
    return _Lines(out.open("w", encoding="utf-8"), owned=True)
