"""Engines and sessions. One engine per database URL, shared by the process."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

_lock = threading.Lock()


@lru_cache(maxsize=8)
def get_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Web, worker and beat share one SQLite file: WAL lets readers run beside the writer, and
        # the busy timeout makes a second writer wait instead of failing with "database is locked".
        engine = create_engine(database_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # pysqlite's own transaction handling defers BEGIN until the first write; taking the
            # write lock at BEGIN IMMEDIATE instead is what makes outbox claims safe on SQLite.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(database_url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=16)
def get_sessionmaker(database_url: str, write: bool = True) -> sessionmaker[Session]:
    """Sessions for writers or for readers.

    On SQLite a deferred transaction that reads and then writes fails at once with "database is
    locked" if another process committed in between; writer sessions take the write lock when
    each transaction begins, so they wait their turn instead. Long reads (a reindex streaming
    every credential) use reader sessions so they never hold that lock. Elsewhere both are equal.
    """
    engine = get_engine(database_url)
    if write:
        engine = engine.execution_options(sqlite_immediate=True)
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(database_url: str, write: bool = True) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = get_sessionmaker(database_url, write)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
