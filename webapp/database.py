"""One SQLAlchemy session per request, and the nudge (workers.nudge) that wakes the relay after a commit."""
from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from store import outbox
from store.db import get_sessionmaker
from workers.nudge import nudge_relay


def db() -> Session:
    if "db" not in g:
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db = get_sessionmaker(current_app.config["SETTINGS"].database_url, write=writes)()
    return g.db


def init_app(app: Flask) -> None:
    outbox.set_nudge(nudge_relay)

    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.close()
