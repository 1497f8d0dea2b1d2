"""`catalog ctdl validate FILE...`: check CTDL records offline (catalog/ctdl/validate.py).

Prints every problem with its file and JSON path, and exits 1 when any record has an error
(warnings, such as a term the CTDL context does not define, are printed but do not fail).
"""
from __future__ import annotations

import json

import click


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
