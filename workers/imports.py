"""Queueing import jobs (catalog.imports.jobs) from the web app.

Sent through an app made for the given settings, as cli/index.py does, never `task.delay()`: in
a web process the shared task's "current app" need not be the workers' one. The broker gets a
couple of seconds; if it cannot be reached the caller says so and the job stays as it was.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from celery import Celery

from store.settings import Settings

log = logging.getLogger(__name__)

QUEUE_TIMEOUT = 2.0


@lru_cache(maxsize=8)
def _sender(settings: Settings) -> Celery:
    from workers.app import make_celery

    app = make_celery(settings, set_as_current=False)
    app.conf.broker_transport_options = {**app.conf.broker_transport_options, "socket_timeout": QUEUE_TIMEOUT,
                                         "socket_connect_timeout": QUEUE_TIMEOUT, "max_retries": 0}
    app.conf.broker_connection_timeout = QUEUE_TIMEOUT
    app.conf.broker_connection_retry = False
    app.conf.broker_connection_max_retries = 0
    return app


def queue_import_job(settings: Settings, job_id: int) -> bool:
    """Ask a worker to run the job; False (and a warning) if the broker is out of reach."""
    try:
        _sender(settings).send_task("workers.tasks.run_import_job", args=[job_id], retry=False, ignore_result=True)
        return True
    except Exception as exc:  # noqa: BLE001 - the page says what happened instead of failing
        log.warning("could not queue import job %s: %s", job_id, exc)
        return False
