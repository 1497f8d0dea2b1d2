"""An import's report, whose memory does not grow with the file: the summary and the first rows
in memory, every later row spooled to a temporary file of JSON lines.

The report's JSON (issue 13) is

    {"kind", "source", "organization", "dry_run", "options", "mapping", ...,
     "summary": {"created": n, "updated": n, "unchanged": n, "failed": n},
     "rows": [{"row", "id", "status", "name", "problems": [{"column", "value", "reason"}]}, ...]}

(the CTDL importer calls its rows "records", each with "ctid", "id", "status", "problems", "source").
A 100,000-row import used to keep all of them in a list until the end; now:

    report = Report({"kind": "table", ...})
    for item in run_batches(...):
        report.add(item)            # counted; kept while fewer than `keep`, else spooled
    report.summary                  # the counts
    report.rows()                   # every row, in order, read back from memory and the spool
    report.write_json(fp)           # the JSON above, streamed; export.report_lines for the CSV
    report.close()                  # deletes the spool (so does garbage collection)

A Report also reads like the dict it replaced (`report["summary"]`, `report["mapping"]`), so
small callers and tests keep indexing it; `report["rows"]` builds the full list, which is fine
for a small report and is what a large one must avoid (use `rows()`).
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from typing import IO, Iterable, Iterator

from catalog.imports.records import STATUSES

# Rows kept in memory before the report starts spooling: enough for every test file and for the
# Import page (whose web uploads are capped at 10,000 rows it shows at most 200 rows), small
# enough (~0.5 MB) that a large import's memory stays flat.
KEEP_ROWS = 1000


def empty_summary() -> dict:
    return {status: 0 for status in STATUSES}


class Report(Mapping):
    """See the module docstring. `header` holds everything but the summary and the rows."""

    def __init__(self, header: dict | None = None, *, rows_key: str = "rows", keep: int | None = None):
        self.header = dict(header or {})
        self.summary = empty_summary()
        self.rows_key = rows_key
        self.keep = KEEP_ROWS if keep is None else keep
        self.kept: list[dict] = []   # the first `keep` rows
        self.count = 0               # every row added
        self._spool = None           # the rows after the first `keep`, one JSON document a line
        self._closed = False

    def add(self, item: dict) -> None:
        self.summary[item["status"]] += 1
        self.count += 1
        if len(self.kept) < self.keep:
            self.kept.append(item)
            return
        if self._spool is None:
            self._spool = tempfile.NamedTemporaryFile("w", encoding="utf-8", prefix="import-report-",
                                                      suffix=".jsonl")
        self._spool.write(json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n")

    @property
    def complete(self) -> bool:
        """Every row is in `kept` (nothing was spooled)."""
        return self._spool is None

    def rows(self) -> Iterator[dict]:
        """Every row, in the order they were added."""
        if self._closed:
            raise ValueError("this report was closed; its rows are gone")
        yield from list(self.kept)
        if self._spool is not None:
            self._spool.flush()
            # A reader of its own: the spool's handle stays at the end for later `add`s.
            with open(self._spool.name, encoding="utf-8") as spooled:
                for line in spooled:
                    yield json.loads(line)

    def write_json(self, out: IO[str]) -> None:
        """The report as JSON (the format in the module docstring), one row a line, streamed."""
        out.writelines(json_chunks({**self.header, "summary": self.summary}, self.rows_key, self.rows()))

    def close(self) -> None:
        """Delete the spool; the summary and header stay, the rows are gone."""
        if self._spool is not None:
            self._spool.close()
        self._closed = True

    # --- read like the dict it replaced ------------------------------------------------------

    def __getitem__(self, key: str):
        if key == "summary":
            return self.summary
        if key == self.rows_key:
            return list(self.rows())
        return self.header[key]

    def __setitem__(self, key: str, value) -> None:
        if key in ("summary", self.rows_key):
            raise KeyError(f"{key!r} is the report's own; add rows with add()")
        self.header[key] = value

    def __iter__(self) -> Iterator[str]:
        yield from self.header
        yield "summary"
        yield self.rows_key

    def __len__(self) -> int:
        return len(self.header) + 2

    def __repr__(self) -> str:
        return f"<Report {self.header.get('kind', '')} {self.summary} {self.count} rows>"


def json_chunks(head: dict, rows_key: str, rows: Iterable[dict]) -> Iterator[str]:
    """A report's JSON in pieces, `head`'s keys first, then `rows_key` with one row a line: for
    writing or answering a report without holding it whole."""
    yield "{\n"
    for key, value in head.items():
        yield f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n"
    yield f" {json.dumps(rows_key)}: ["
    for n, item in enumerate(rows):
        yield ("," if n else "") + "\n  " + json.dumps(item, ensure_ascii=False)
    yield "\n ]\n}\n"
