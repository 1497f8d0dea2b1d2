"""Bulk import: spreadsheets (and other sources) into the catalog through the authoring service.

- `pipeline.py`: the shared pipeline (records in, per-record report out; savepoints, dry run, key)
- `records.py`: ImportRecord / RowResult / Problem, what sources and the pipeline exchange
- `report.py`: the Report (summary and first rows in memory, the rest spooled to a temporary file)
- `diskmap.py`: what an import remembers for its length (keys used, catalog names), in a temporary
  SQLite file (flat memory on long files)
- `normalise.py`: a record's cells -> the authoring service's sections
- `codes.py`: value normalisation shared by every source (CIP, O*NET-SOC, types, money, lengths)
- `mapping.py`: the import fields and header detection
- `tables.py`: safe CSV/XLSX reading; `spreadsheet.py`: a table import from end to end
- `jobs.py`: import jobs for the editor's Import page and the Celery task (`kind` picks the reader)
- `export.py`: credentials out as CSV/XLSX, and search results as CSV, with formula neutralisation

Another source (CTDL) reuses all of it: yield `ImportRecord`s with the fields of mapping.FIELDS,
call `pipeline.run_import(..., kind="ctdl")`, and register a reader in `jobs.READERS["ctdl"]`.
"""
