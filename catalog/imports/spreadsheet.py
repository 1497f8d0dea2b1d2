"""A spreadsheet import from end to end: open safely, detect the mapping, preview, run.

The CLI (`catalog import table`), the editor's Import page and its Celery task all call these.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session

from catalog.imports import mapping as columns
from catalog.imports.normalise import build_draft
from catalog.imports.pipeline import ImportOptions, load_code_book, run_import
from catalog.imports.report import Report
from catalog.imports.tables import Table, TableLimits, open_table, table_records
from store.models import User


def prepare(path: str | Path, overrides: dict[str, str] | None = None, limits: TableLimits = TableLimits(),
            filename: str | None = None) -> tuple[Table, dict[str, str]]:
    """The checked table and the mapping to use (detected, then `overrides`), or TableError/MappingError."""
    table = open_table(path, limits, filename)
    mapping = columns.apply_overrides(table.headers, columns.detect_mapping(table.headers), overrides or {})
    return table, mapping


def preview(session: Session, table: Table, mapping: dict[str, str], rows: int = 20) -> list[dict]:
    """The first `rows` rows as they would be saved: the main fields and each row's problems."""
    book = load_code_book(session)
    out = []
    for record in table_records(table, mapping):
        draft = build_draft(record, book)
        d = draft.details
        out.append({"row": record.row, "name": draft.name, "type": d["credential_type"], "provider": draft.provider,
                    "cip": ", ".join(d["cip_codes"]), "occupations": ", ".join(draft.occupations),
                    "cost": d["cost"]["amount"] or "",
                    "duration": f"{d['duration']['value']} {d['duration']['unit']}" if d["duration"]["value"] else "",
                    "delivery": d["delivery_mode"], "leads_to": "; ".join(draft.leads_to),
                    "problems": [p.as_dict() for p in draft.problems]})
        if len(out) >= rows:
            break
    return out


def import_table(session: Session, org_id: int, path: str | Path, options: ImportOptions, *,
                 overrides: dict[str, str] | None = None, limits: TableLimits = TableLimits(),
                 user: User | None = None, filename: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Report:
    """Import a CSV or XLSX file for organization `org_id`; the report (see catalog.imports.pipeline)."""
    table, mapping = prepare(path, overrides, limits, filename)
    total = table.row_count
    report = run_import(session, org_id, table_records(table, mapping), options, user, kind="table",
                        source=filename or Path(path).name, mapping=mapping,
                        progress=(lambda n: progress(n, total)) if progress else None)
    report["format"] = table.format
    return report
