"""Bulk import: spreadsheets (and other sources) into the catalog through the authoring service.

- `pipeline.py`: the shared pipeline (records in, per-record report out; savepoints, dry run, key)
- `records.py`: ImportRecord / RowResult / Problem, what sources and the pipeline exchange
- `normalise.py`: a record's cells -> the authoring service's sections
- `codes.py`: value normalisation shared by every source (CIP, O*NET-SOC, types, money, lengths)
- `mapping.py`: the import fields and header detection
- `tables.py`: safe CSV/XLSX reading; `spreadsheet.py`: a table import from end to end
- `export.py`: credentials out as CSV/XLSX, with formula neutralisation
"""
