"""One SQLAlchemy session per request, and the nudge that wakes the relay after a commit.

The nudge is only a hint: the outbox row is already committed, and beat runs the relay every
couple of seconds anyway, so a nudge lost to a Redis hiccup delays an update but loses nothing.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from store.db import begin_write, get_sessionmaker

log = logging.getLogger(__name__)


def db() -> Session:
    if "db" not in g:
        g.db = get_sessionmaker(current_app.config["SETTINGS"].database_url)()
        if request and request.method not in ("GET", "HEAD", "OPTIONS"):
            begin_write(g.db)
    return g.db


def nudge_relay() -> None:
    try:
        from workers.tasks import relay_outbox

        relay_outbox.apply_async(retry=False, ignore_result=True)
    except Exception as exc:  # noqa: BLE001 - a nudge must never fail the request that committed
        log.warning("could not nudge the outbox relay (%s); beat will pick the change up", exc)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("outbox_dirty", False) and session.info.get("nudge", True):
        nudge_relay()


def init_app(app: Flask) -> None:
    @app.teardown_appcontext
    def _close(_exc):
        session = g.pop("db", None)
        if session is not None:
            session.close()
