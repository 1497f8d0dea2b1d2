"""CTDL, the Credential Registry's JSON-LD vocabulary: our interchange format both ways.

- `types.py`    our credential types <-> CTDL credential subclasses (the one mapping table)
- `frameworks.py` occupation, industry, program and skill frameworks: URLs out, codes in
- `export.py`   credentials and organizations -> CTDL JSON-LD records (pure functions)
- `records.py`  loading what export needs from the database, in batches; pagination
- `validate.py` offline checks: pyld expansion with the bundled context, SHACL shapes
- `imports.py`  CTDL records -> credentials through the authoring service, with a report
"""
