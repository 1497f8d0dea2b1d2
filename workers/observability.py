"""A Celery worker's logs and metrics.

Logs: with LOG_FORMAT=json, `use_json_logs` takes over Celery's logging setup, so every line
(Celery's own and the relay's, which carries the request id of the save it indexed) is one JSON
object (store/logs.py).

Metrics: the relay's counters (indexer/metrics.py), served over HTTP. The choice: each worker serves its own page with prometheus_client's `start_http_server` on
WORKER_METRICS_PORT (0, the default, serves nothing, so parallel workers on one host do not
fight over a port). The pool's child processes do the relaying, so they write their counters to
PROMETHEUS_MULTIPROC_DIR (which must be set in the worker's environment, one directory per worker)
and the page, served by the worker's main process, adds them up. Outbox and rebuild gauges are
not served here: the web app's /metrics reads them, so Prometheus never gets them twice.

The page has no login: bind it (WORKER_METRICS_ADDRESS, loopback by default) to an address that
only Prometheus can reach, as compose does on its internal network.
"""
from __future__ import annotations

import logging
import os

from celery.signals import setup_logging, worker_init, worker_process_shutdown

from store.settings import Settings

log = logging.getLogger(__name__)


def serve_worker_metrics(settings: Settings) -> int | None:
    """Start the page if a port is configured; returns the port, or None (and says why)."""
    if not settings.worker_metrics_port:
        return None
    from prometheus_client import start_http_server

    from indexer.metrics import multiprocess_dir, reset_multiprocess_dir, scrape_registry

    directory = multiprocess_dir()
    if directory is None:
        log.warning("worker metrics are off: WORKER_METRICS_PORT=%s needs PROMETHEUS_MULTIPROC_DIR, a directory "
                    "of this worker's own, set before the worker starts", settings.worker_metrics_port)
        return None
    # Files of an earlier run would be counted again; this process's own (it imported the metrics
    # already) must stay, or what it counts (a solo or threads pool relays here) would be lost.
    reset_multiprocess_dir(directory, keep_pid=os.getpid())
    start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_address,
                      registry=scrape_registry())
    log.info("worker metrics on http://%s:%s/metrics", settings.worker_metrics_address, settings.worker_metrics_port)
    return settings.worker_metrics_port


@worker_init.connect
def _on_worker_init(sender=None, **_kwargs) -> None:
    # Before the pool forks its children, so they write into the directory emptied here.
    from workers.app import celery_app

    serve_worker_metrics(celery_app.conf.settings)


@worker_process_shutdown.connect
def _on_child_exit(pid=None, **_kwargs) -> None:
    from indexer.metrics import multiprocess_dir

    if multiprocess_dir() and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def use_json_logs() -> None:
    """Log JSON lines in this worker or beat instead of Celery's text (called by make_celery)."""
    setup_logging.connect(_json_logging, weak=False, dispatch_uid="catalog-json-logs")


def _json_logging(loglevel=None, **_kwargs) -> None:
    from store.logs import configure_logging

    configure_logging("json", loglevel or logging.INFO)
