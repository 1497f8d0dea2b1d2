"""Waking the relay after a commit: a hint, sent off the request's path.

The outbox row is already committed when this runs, and beat runs the relay every couple of
seconds anyway, so a lost nudge delays an update by a tick and loses nothing. That is why a
nudge never waits: it is handed to one background thread, a nudge already waiting to be sent
absorbs the next ones, and the broker connection gives up after NUDGE_TIMEOUT. With Redis down,
a save used to spend about 6 s here in kombu's connection retries.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from celery import Celery

from store.settings import Settings

log = logging.getLogger(__name__)

NUDGE_TIMEOUT = 0.2  # seconds, for connecting to the broker and for each socket operation

_sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relay-nudge")
_waiting = threading.Lock()


@lru_cache(maxsize=8)
def _nudge_app(settings: Settings) -> Celery:
    from workers.app import make_celery

    app = make_celery(settings, set_as_current=False)
    app.conf.broker_transport_options = {**app.conf.broker_transport_options,
                                         "socket_timeout": NUDGE_TIMEOUT, "socket_connect_timeout": NUDGE_TIMEOUT,
                                         "max_retries": 0}
    app.conf.broker_connection_timeout = NUDGE_TIMEOUT
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0
    return app


def send_nudge(settings: Settings | None = None) -> bool:
    """Queue one relay run now, in this thread. False (and a warning) if the broker is out of reach.

    Without `settings`, the workers' own (workers.app, from the environment): the queue the
    process's workers listen on, whichever app or command committed.
    """
    if settings is None:
        from workers.app import celery_app

        settings = celery_app.conf.settings
    try:
        _nudge_app(settings).send_task("workers.tasks.relay_outbox", retry=False, ignore_result=True)
        return True
    except Exception as exc:  # noqa: BLE001 - a nudge must never fail the caller that committed
        log.warning("could not nudge the outbox relay (%s); beat will pick the change up", exc)
        return False


def nudge_relay(settings: Settings | None = None) -> None:
    """Ask for a relay run without waiting for the broker. Nudges already waiting absorb this one."""
    if not _waiting.acquire(blocking=False):
        return

    def send() -> None:
        _waiting.release()  # from here on, a new commit needs a new nudge
        send_nudge(settings)

    _sender.submit(send)
