"""One SQLAlchemy session per request, and the nudge that wakes the relay after a commit.

The nudge is only a hint: the outbox row is already committed, and beat runs the relay every
couple of seconds anyway, so a nudge lost to a Redis hiccup delays an update but loses nothing.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from store import outbox
from store.db import get_sessionmaker

log = logging.getLogger(__name__)


def db() -> Session:
    if "db" not in g:
        writes = request.method not in ("GET", "HEAD", "OPTIONS")
        g.db = get_sessionmaker(current_app.config["SETTINGS"].database_url, write=writes)()
    return g.db


def nudge_relay() -> None:
    try:
        # Sent through our app, not the shared_task proxy: Celery's "current app" is per thread,
        # so in a threaded server's request threads the proxy fell back to Celery's default app
        # (AMQP on localhost) and every nudge failed with "Connection refused".
        from workers.app import celery_app

        celery_app.send_task("workers.tasks.relay_outbox", retry=False, ignore_result=True)
    except Exception as exc:  # noqa: BLE001 - a nudge must never fail the request that committed
        log.warning("could not nudge the outbox relay (%s); beat will pick the change up", exc)


def init_app(app: Flask) -> None:
    outbox.set_nudge(nudge_relay)

    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.close()
