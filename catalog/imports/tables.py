"""Reading spreadsheets (CSV and XLSX) safely, for the import pipeline's "parse" step.

A file is checked completely before any record is applied, so a hostile or broken file is
refused with one clear `TableError` and never half imported:

- the size is checked before a byte is read (`TableLimits.max_bytes`);
- binary data (NUL bytes, an old .xls) is refused; CSV is read as UTF-8 (with or without BOM) or,
  failing that, Windows-1252; CRLF, LF and quoted newlines are all fine;
- an XLSX is a zip: the uncompressed sizes its directory declares are checked before openpyxl
  opens it (a zip bomb expands a few kilobytes into gigabytes), then openpyxl reads it in
  read-only mode, row by row;
- the header must have names, no name twice, and at most `max_columns` columns; a row may not
  have more cells than the header; empty and header-only files are refused; at most `max_rows`.

`open_table` does those checks in one pass and returns a `Table` whose `rows()` reads the file
again, so memory stays flat however long it is.
"""
from __future__ import annotations

import codecs
import csv
import os
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Iterator

from catalog.imports.records import ImportRecord

MB = 1024 * 1024


class TableError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class TableLimits:
    max_bytes: int = 20 * MB
    max_rows: int = 20000
    max_columns: int = 150
    # An XLSX is refused when its parts would expand beyond this, or by more than `max_ratio` times.
    max_unzipped_bytes: int = 200 * MB
    max_ratio: int = 200


# Operators importing from the command line may pass larger files than the web page accepts.
CLI_LIMITS = TableLimits(max_bytes=512 * MB, max_rows=1_000_000, max_unzipped_bytes=2048 * MB)


@dataclass
class Table:
    path: Path
    format: str          # "csv" or "xlsx"
    encoding: str        # for CSV: "utf-8-sig" or "cp1252"
    headers: list[str]
    row_count: int

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number as a spreadsheet shows it, cells) for every non-empty data row."""
        body = _csv_rows(self.path, self.encoding) if self.format == "csv" else _xlsx_rows(self.path)
        first = True
        for number, cells in body:
            if not any(c.strip() for c in cells):
                continue
            if first:  # the header
                first = False
                continue
            yield number, cells


def human_size(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} bytes"


def open_table(path: str | os.PathLike, limits: TableLimits = TableLimits(), filename: str | None = None) -> Table:
    """Check the whole file (see the module docstring) and return it as a Table, or TableError."""
    path = Path(path)
    shown = filename or path.name
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise TableError(f"{shown} is {human_size(size)}; files up to {human_size(limits.max_bytes)} can be imported. "
                         "Split it into smaller files.")
    if size == 0:
        raise TableError(f"{shown} is empty")
    with open(path, "rb") as f:
        head = f.read(8192)
    if head.startswith(b"PK\x03\x04"):
        fmt, encoding = "xlsx", ""
        _check_zip(path, shown, limits)
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise TableError(f"{shown} is an old Excel (.xls) workbook; save it as .xlsx or CSV and import that")
    elif b"\x00" in head:
        raise TableError(f"{shown} is not a CSV or XLSX file (it holds binary data)")
    else:
        fmt, encoding = "csv", _csv_encoding(path, shown)
    headers, count = _check_rows(path, fmt, encoding, shown, limits)
    return Table(path=path, format=fmt, encoding=encoding, headers=headers, row_count=count)


def _csv_encoding(path: Path, shown: str) -> str:
    """UTF-8 (a BOM is dropped) when the whole file decodes as UTF-8, else Windows-1252."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as f:
                while chunk := f.read(MB):
                    if b"\x00" in chunk:
                        raise TableError(f"{shown} is not a CSV or XLSX file (it holds binary data)")
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise TableError(f"{shown} is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8")


def _check_zip(path: Path, shown: str, limits: TableLimits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise TableError(f"{shown} is not a readable XLSX workbook (the zip is damaged)") from None
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > limits.max_unzipped_bytes or total / packed > limits.max_ratio:
        raise TableError(f"{shown} would expand to {human_size(total)} from {human_size(packed)}; that is not an "
                         "ordinary spreadsheet, so it was not opened (a zip bomb?)")
    if not any(m.filename.startswith("xl/worksheets/") for m in members):
        raise TableError(f"{shown} is a zip file but not an XLSX workbook")


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        start = 1
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise TableError(f"not a readable XLSX workbook ({type(error).__name__})") from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), 1):
            cells = [_cell(v) for v in values]
            while cells and cells[-1] == "":
                cells.pop()
            yield number, cells
    finally:
        workbook.close()


def _check_rows(path: Path, fmt: str, encoding: str, shown: str, limits: TableLimits) -> tuple[list[str], int]:
    body = _csv_rows(path, encoding) if fmt == "csv" else _xlsx_rows(path)
    headers: list[str] | None = None
    count = 0
    try:
        for number, cells in body:
            if len(cells) > limits.max_columns:
                raise TableError(f"line {number} of {shown} has {len(cells)} cells; at most {limits.max_columns} "
                                 "columns can be imported")
            if not any(c.strip() for c in cells):
                continue
            if headers is None:
                headers = _check_headers(cells, number, shown)
                continue
            extra = cells[len(headers):]
            if any(c.strip() for c in extra):
                raise TableError(f"line {number} of {shown} has {len(cells)} cells but the header has "
                                 f"{len(headers)}; a comma or quote is probably missing or extra there")
            count += 1
            if count > limits.max_rows:
                raise TableError(f"{shown} has more than {limits.max_rows:,} rows; split it into smaller files")
    except csv.Error as error:
        raise TableError(f"{shown} is not valid CSV: {error}") from None
    except (UnicodeDecodeError, zipfile.BadZipFile, KeyError, EOFError) as error:
        raise TableError(f"{shown} could not be read ({type(error).__name__})") from None
    if headers is None:
        raise TableError(f"{shown} is empty")
    if count == 0:
        raise TableError(f"{shown} has a header but no rows")
    return headers, count


def _check_headers(cells: list[str], number: int, shown: str) -> list[str]:
    headers = [c.strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    seen: dict[str, int] = {}
    for position, header in enumerate(headers, 1):
        if not header:
            continue
        folded = header.casefold()
        if folded in seen:
            raise TableError(f"{shown} has two columns named {header!r} (columns {seen[folded]} and {position}); "
                             "rename one so it is clear which to import")
        seen[folded] = position
    if not seen:
        raise TableError(f"line {number} of {shown} has no column names")
    return headers


def table_records(table: Table, mapping: dict[str, str]) -> Iterator[ImportRecord]:
    """Each row as an ImportRecord with the mapped columns' cells."""
    columns = [(i, header, mapping[header]) for i, header in enumerate(table.headers) if header in mapping]
    for number, cells in table.rows():
        yield ImportRecord(row=number, cells=[(field, header, cells[i] if i < len(cells) else "")
                                              for i, header, field in columns])
