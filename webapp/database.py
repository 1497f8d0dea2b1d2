"""One SQLAlchemy session per request, the nudge (workers.nudge) that wakes the relay after a
commit, and a second try for a request that lost a lock race.

PostgreSQL aborts one of two transactions that wait on each other's rows (SQLSTATE 40P01, e.g.
two editors renaming two credentials that show each other's names: each save bumps the other's
index version) or that could not be serialized (40001). Nothing of the aborted one was written,
so the request is simply run again, on the same session rolled back, after a short random pause;
the second attempt finds the other save committed. A request that loses every try answers 503
with a message; it never answers 500, and it never half-applies.
"""
from __future__ import annotations

import random
import time
from typing import Callable

from flask import Flask, current_app, g, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from store import outbox
from store.db import get_sessionmaker
from workers.nudge import nudge_relay

# SQLSTATEs after which running the same transaction again can succeed.
TRANSIENT = {"40P01": "deadlock detected", "40001": "serialization failure"}
RETRIES = 3


def db() -> Session:
    if "db" not in g:
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db = get_sessionmaker(current_app.config["SETTINGS"].database_url, write=writes)()
    return g.db


def is_transient(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in TRANSIENT


def dispatch_with_retries(dispatch: Callable):
    """`dispatch()` (the view), run again on a transient conflict, at most RETRIES more times."""
    for attempt in range(RETRIES + 1):
        try:
            return dispatch()
        except DBAPIError as error:
            if not is_transient(error) or attempt == RETRIES:
                raise
            if "db" in g:
                g.db.rollback()  # objects loaded before (the user) reload on the same session
            current_app.logger.info("request %s %s lost a lock race (%s); trying again", request.method,
                                    request.path, TRANSIENT[error.orig.sqlstate])
            time.sleep(random.uniform(0.02, 0.1) * (attempt + 1))


class RetryingFlask(Flask):
    """Flask, whose views run under dispatch_with_retries (the hooks before them run once)."""

    def dispatch_request(self):
        return dispatch_with_retries(super().dispatch_request)


def init_app(app: Flask) -> None:
    outbox.set_nudge(nudge_relay)

    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.close()
