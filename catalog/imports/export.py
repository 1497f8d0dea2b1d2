"""Credentials out as CSV or XLSX, and the report of an import as CSV.

Every text cell goes through `neutralise` first: a cell beginning with `=`, `+`, `-`, `@`, a tab
or a carriage return is a formula to Excel, LibreOffice and Google Sheets, so a credential named
`=HYPERLINK(...)` could run in the spreadsheet of whoever opens the export (OWASP "CSV
injection"). Such cells get a leading apostrophe, which spreadsheets show as text.

What leaves depends on who asks (`audience`): `public` is published credentials only, as the
search index shows them; `organization` adds the organization's own drafts and archived records
with their status. Contributor notes are never exported.
"""
from __future__ import annotations

import csv
import io
from typing import IO, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES
from store.models import Credential, Status

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = ("id", "external_id", "name", "status", "credential_type", "organization", "description", "url",
           "cip_codes", "occupation_codes", "sector_codes", "cost", "currency", "duration", "duration_unit",
           "delivery_mode", "providers", "locations", "related", "keywords", "updated_at")
PUBLIC_COLUMNS = tuple(c for c in COLUMNS if c not in ("external_id", "status"))


def neutralise(value) -> str:
    """A cell's text, made inert if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _join(values: Iterable) -> str:
    return "; ".join(str(v) for v in values if v not in (None, ""))


def credential_row(c: Credential) -> dict:
    return {
        "id": c.id, "external_id": c.external_id or "", "name": c.name, "status": c.status,
        "credential_type": CREDENTIAL_TYPES.get(c.credential_type, c.credential_type),
        "organization": c.organization.name, "description": c.description, "url": c.url,
        "cip_codes": _join(c.cip_codes), "occupation_codes": _join(o.code for o in c.occupations),
        "sector_codes": _join(s.code for s in c.sectors),
        "cost": "" if c.cost_amount is None else f"{c.cost_amount:.2f}", "currency": c.cost_currency,
        "duration": c.duration_value or "", "duration_unit": c.duration_unit,
        "delivery_mode": DELIVERY_MODES.get(c.delivery_mode, c.delivery_mode),
        "providers": _join(p.provider_display for p in c.programs),
        "locations": _join(p.location for p in c.programs),
        "related": _join(r.target.name if r.target is not None and r.target.status == Status.published.value
                         else r.external_name for r in c.relations if r.target is None or
                         r.target.status == Status.published.value),
        "keywords": _join(c.keywords or []),
        "updated_at": c.updated_at.isoformat(timespec="seconds") if c.updated_at else "",
    }


def credential_rows(session: Session, org_id: int | Iterable[int] | None = None, audience: str = "public",
                    batch: int = 500) -> Iterator[dict]:
    """Rows for every credential the audience may see (of one organization, several, or all), in
    id order, read in batches."""
    query = (select(Credential).order_by(Credential.id)
             .options(selectinload(Credential.occupations), selectinload(Credential.sectors),
                      selectinload(Credential.cips), selectinload(Credential.programs),
                      selectinload(Credential.relations)))
    if isinstance(org_id, int):
        query = query.where(Credential.org_id == org_id)
    elif org_id is not None:
        query = query.where(Credential.org_id.in_(sorted(org_id)))
    if audience == "public":
        query = query.where(Credential.status == Status.published.value)
    last = 0
    while True:
        page = session.scalars(query.where(Credential.id > last).limit(batch)).all()
        if not page:
            return
        for credential in page:
            yield credential_row(credential)
        last = page[-1].id


def csv_lines(rows: Iterable[dict], columns: tuple[str, ...]) -> Iterator[str]:
    """CSV text, a line at a time (for streaming responses), header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(values) -> str:
        writer.writerow([neutralise(v) for v in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(columns)
    for row in rows:
        yield line(row.get(c, "") for c in columns)


def write_csv(rows: Iterable[dict], out: IO[str], columns: tuple[str, ...] = COLUMNS) -> int:
    count = -1
    for count, text in enumerate(csv_lines(rows, columns)):
        out.write(text)
    return count


def write_xlsx(rows: Iterable[dict], path, columns: tuple[str, ...] = COLUMNS) -> int:
    """An XLSX workbook written row by row (openpyxl's write-only mode keeps memory flat)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Credentials")
    sheet.append(list(columns))
    count = 0
    for row in rows:
        # openpyxl stores any string starting with "=" as a formula: neutralised, it is text.
        sheet.append([neutralise(row.get(c, "")) for c in columns])
        count += 1
    workbook.save(path)
    return count


REPORT_COLUMNS = ("row", "id", "status", "name", "column", "value", "reason")


def report_lines(rows: Iterable[dict]) -> Iterator[str]:
    """An import report's rows (`Report.rows()`, streamed from its spool, or a stored job's) as
    CSV: one line per problem, or one per row that has none."""
    def lines():
        for item in rows:
            base = {"row": item["row"], "id": item["id"] or "", "status": item["status"], "name": item["name"]}
            problems = item["problems"] or [{"column": "", "value": "", "reason": ""}]
            for problem in problems:
                yield {**base, **problem}
    return csv_lines(lines(), REPORT_COLUMNS)


# --- search results ------------------------------------------------------------------------------

# GET /search.csv answers at most this many rows (10 pages of the API's largest page), so one
# request cannot walk the whole index; the README says so.
SEARCH_CSV_MAX_ROWS = 1000
SEARCH_COLUMNS = ("id", "name", "credential_type", "organization", "occupations", "sectors", "delivery_mode",
                  "website", "summary", "page")


def search_hit_row(hit: dict, page_url: str) -> dict:
    """A search hit (indexer.search.parse_hit): only what the public index holds, so published only."""
    return {
        "id": hit["id"], "name": hit["name"], "credential_type": hit.get("type_label") or "",
        "organization": (hit.get("issuer") or {}).get("name", ""),
        "occupations": _join(f"{o['code']} {o['label']}" for o in hit.get("occupations") or []),
        "sectors": _join(f"{s['code']} {s['label']}" for s in hit.get("sectors") or []),
        "delivery_mode": DELIVERY_MODES.get(hit.get("delivery") or "", hit.get("delivery") or ""),
        "website": hit.get("website") or "", "summary": hit.get("summary") or "", "page": page_url,
    }
