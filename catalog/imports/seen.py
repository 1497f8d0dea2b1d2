"""Which import keys a file has used so far, and the row that used each first (or, for CTDL,
where the last copy of a CTID came from).

A re-import must report a second row with the same key as "the same record as row N", so the
keys of every row read are remembered until the end of the file. A dict of them cost about 160
bytes a row (a 100,000-row file: ~16 MB that grew until the end); this keeps them in a private
temporary SQLite database instead, which lives on disk beyond SQLite's small page cache and is
deleted when closed, so memory stays flat however long the file is.
"""
from __future__ import annotations

import sqlite3


class SeenKeys:
    def __init__(self):
        # "" is SQLite's private temporary database: on disk, removed on close.
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        # `row` has no type: a line number for tables, a "file #record" text for CTDL.
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row NOT NULL) WITHOUT ROWID")
        self._db.execute("BEGIN")  # one transaction, never committed: nothing here outlives the import

    def first(self, key: str, row):
        """Remember that `row` used `key`; the row that used it first, if not this one."""
        if self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, row)).rowcount:
            return None
        return self._db.execute("SELECT row FROM seen WHERE key = ?", (key,)).fetchone()[0]

    def get(self, key: str):
        found = self._db.execute("SELECT row FROM seen WHERE key = ?", (key,)).fetchone()
        return found[0] if found else None

    def put(self, key: str, row) -> None:
        self._db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?)", (key, row))

    def __contains__(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM seen WHERE key = ?", (key,)).fetchone() is not None

    def close(self) -> None:
        self._db.close()
