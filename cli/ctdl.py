"""CTDL (Credential Registry JSON-LD) in and out (docs/ctdl.md).

    catalog ctdl validate FILE...       check records offline (catalog/ctdl/validate.py)
    catalog export ctdl [--org ORG] [--out FILE.jsonl | DIR]
    catalog import ctdl PATH... --org ORG [--dry-run] [--publish] [--report FILE.json]

`validate` prints every problem with its file and JSON path, and exits 1 when any record has an
error (warnings, such as a term the CTDL context does not define, are printed but do not fail).
`export ctdl` streams published credentials and their organizations in batches, with a progress
bar on a terminal. `import ctdl` exits 1 when any record failed. The two join the `export` and
`import` groups in cli/__init__.py.
"""
from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path

import click

from cli.context import settings


@click.group("ctdl")
def ctdl() -> None:
    """CTDL (Credential Registry JSON-LD) tools."""


@ctdl.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON instead of lines.")
def validate(paths: tuple[str, ...], as_json: bool) -> None:
    """Validate CTDL records: files (.json, .jsonld, .jsonl) or directories of them."""
    from catalog.ctdl.sources import MAX_FILE_BYTES, expand_paths
    from catalog.ctdl.validate import is_valid, validate_document

    results, failed, checked = [], 0, 0
    for path in expand_paths(paths):
        for where, document, error in _documents(path, MAX_FILE_BYTES):
            checked += 1
            problems = [{"path": "$", "reason": error, "level": "error"}] if error else validate_document(document)
            failed += not is_valid(problems)
            results.append({"source": where, "valid": is_valid(problems), "problems": problems})
            if not as_json:
                for p in problems:
                    click.echo(f"{where}: {p['level']}: {p['path']}: {p['reason']}")
    if as_json:
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
    click.echo(f"ctdl validate: {checked} records, {checked - failed} valid, {failed} with errors", err=True)
    if failed:
        raise SystemExit(1)


def _documents(path, limit: int):
    """(where, document, error) for each JSON document in a file: one, or one per line of JSON lines."""
    name = str(path)
    if path.stat().st_size > limit:
        yield name, None, f"the file is larger than {limit // 1048576} MB"
        return
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        yield name, None, "not UTF-8 text"
        return
    lines = path.suffix.lower() in (".jsonl", ".ndjson")
    chunks = [(f"{name}:{i}", line) for i, line in enumerate(text.splitlines(), 1) if line.strip()] if lines \
        else [(name, text)]
    for where, chunk in chunks:
        try:
            yield where, json.loads(chunk), None
        except (json.JSONDecodeError, RecursionError) as exc:
            yield where, None, f"not JSON: {getattr(exc, 'msg', exc)}"


def progress_bar(description: str, total: int | None):
    """A rich progress bar on stderr, shown only on a terminal; `advance()` it per record."""
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty())
    task = bar.add_task(description, total=total)
    return bar, lambda n=1: bar.advance(task, n)


@click.command("ctdl")
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


@click.command("ctdl")
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
        with open(report_path, "w", encoding="utf-8") as out:
            report.write_json(out)
    if report["summary"]["failed"]:
        raise SystemExit(1)
