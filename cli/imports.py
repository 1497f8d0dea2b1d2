"""`catalog import ...`: records from other systems, through the authoring service.

    catalog import ctdl PATH... --org ORG [--dry-run] [--publish] [--report FILE.json]

A plain click group: each source format is one command here (another adds `catalog import table`).
Every command prints one line per record and a summary, writes the JSON report when asked, and
exits 1 when any record failed.
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from cli.context import settings


@click.group("import")
def import_() -> None:
    """Import records from other systems (as drafts unless told to publish)."""


def autocomplete_suggester(config):
    """Best autocomplete match for a free-text alignment, or None when search is unavailable."""
    from opensearchpy.exceptions import TransportError

    from indexer.autocomplete import suggest
    from indexer.client import web_client

    client = web_client(config.opensearch_url, config.web_timeout)
    down = []

    def best(vocabulary: str, text: str):
        if down:
            return None
        try:
            items = suggest(client, config.index_prefix, vocabulary, text, size=1, timeout=config.web_timeout).items
        except (TransportError, ValueError):
            down.append(True)  # one warning's worth: no suggestions for the rest of this import
            return None
        return items[0] if items else None

    return best


@import_.command("ctdl")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--org", "org_ref", required=True, help="The organization that will own the credentials (id or name).")
@click.option("--dry-run", is_flag=True, help="Check and report everything, save nothing.")
@click.option("--publish", is_flag=True, help="Publish what is imported (default: drafts; published ones stay so).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report as JSON to this file.")
def import_ctdl(paths, org_ref: str, dry_run: bool, publish: bool, report_path: Path | None) -> None:
    """Import CTDL credential records: files, @graph envelopes, JSON lines or directories."""
    from catalog.accounts.service import AccountError, get_org
    from catalog.ctdl.imports import run_import, text_report
    from catalog.ctdl.sources import read_paths
    from cli.export import progress_bar
    from store.db import get_sessionmaker

    config = settings()
    session = get_sessionmaker(config.database_url)()
    try:
        try:
            org = get_org(session, org_ref)
        except AccountError as exc:
            raise click.ClickException(exc.message) from exc
        bar, advance = progress_bar("import ctdl", None)
        with bar:
            report = run_import(session, org, read_paths(paths), dry_run=dry_run, publish=publish,
                                suggest=autocomplete_suggester(config), progress=lambda done: advance())
        if dry_run:
            session.rollback()
        else:
            session.commit()
    finally:
        session.close()
    click.echo(text_report(report))
    if report_path:
        report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if report["summary"]["failed"]:
        raise SystemExit(1)
