"""A key -> value map kept on disk, for what an import must remember for its whole length.

An import remembers the keys its file has used (a second row with the same key is "the same
record as row N"; a second copy of a CTID is warned of) and, to link what a row "leads to", the
names of the catalog's credentials. In dicts these cost ~150 bytes an entry and grew with the file
(and with the catalog: re-importing 100,000 rows preloaded 100,000 names); in a private temporary
SQLite database they live on disk beyond SQLite's small page cache, deleted on close, so an
import's memory stays flat however long the file is. A lookup costs a few microseconds.
"""
from __future__ import annotations

import sqlite3
from typing import Iterable


class DiskMap:
    def __init__(self):
        # "" is SQLite's private temporary database: on disk, removed on close.
        self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        # `value` has no type: a line number, a credential id, a "file #record" text.
        self._db.execute("CREATE TABLE map (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID")
        self._db.execute("BEGIN")  # one transaction, never committed: nothing here outlives the import

    def first(self, key: str, value):
        """Remember `value` for `key` unless the key has one already; that earlier value, if any."""
        if self._db.execute("INSERT OR IGNORE INTO map VALUES (?, ?)", (key, value)).rowcount:
            return None
        return self.get(key)

    def fill(self, items: Iterable[tuple[str, object]]) -> None:
        """Remember many (key, value) pairs; for a key given twice the first value stays."""
        self._db.executemany("INSERT OR IGNORE INTO map VALUES (?, ?)", items)

    def get(self, key: str, default=None):
        found = self._db.execute("SELECT value FROM map WHERE key = ?", (key,)).fetchone()
        return found[0] if found else default

    def put(self, key: str, value) -> None:
        self._db.execute("INSERT OR REPLACE INTO map VALUES (?, ?)", (key, value))

    def __contains__(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM map WHERE key = ?", (key,)).fetchone() is not None

    def close(self) -> None:
        self._db.close()
