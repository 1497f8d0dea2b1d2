"""Every Prometheus metric the catalog exports, declared once (prometheus-client).

Two kinds:
- **Counted as it happens** (counters and a histogram below): the relay counts batches, documents
  and failures; the web app times requests per endpoint; whoever talks to OpenSearch counts its
  errors by kind. Under gunicorn and Celery's prefork pool each process counts on its own, so
  these run in prometheus-client's multiprocess mode: with `PROMETHEUS_MULTIPROC_DIR` set (by
  gunicorn.conf.py for the web app, by the environment for a worker) every process writes its
  values to files there and a scrape adds them up (`MultiProcessCollector`). Without it (tests,
  `flask run`) they live in the process, which then is the only one.
- **Read at scrape time** (`PipelineCollector`): the outbox backlog, the age of its oldest pending
  event, the dead letters and whether a rebuild holds the lock are facts in the database and
  Redis, not events in one process, so the web app's `/metrics` asks for them on each scrape.
  Workers do not, so the two scrapes never report the same gauge twice.

This module sits in `indexer/`, the lowest layer that counts anything (the relay); `store/` only
supplies the backlog query, and the web app and workers import from here.
"""
from __future__ import annotations

import logging
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Iterable

from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, NotFoundError, TransportError
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from store.models import utcnow
from store.settings import Settings

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):
    # prometheus-client opens its files there as soon as a metric below is defined.
    os.makedirs(os.environ[MULTIPROC_ENV], exist_ok=True)
# `*_created` series double the page and multiprocess mode cannot report them anyway.
disable_created_metrics()

# --- counted as it happens --------------------------------------------------------------------

RELAY_BATCHES = Counter("catalog_relay_batches", "Outbox batches the relay claimed and worked on (non-empty)")
RELAY_DOCUMENTS = Counter("catalog_relay_documents", "Outbox events the relay wrote and OpenSearch confirmed")
RELAY_FAILURES = Counter("catalog_relay_failures", "Outbox events the relay could not index, by reason: "
                         "`rejected` (OpenSearch refused the document or the batch; retried with backoff, "
                         "then a dead letter) or `unavailable` (OpenSearch out of reach; handed back untouched)",
                         ["reason"])
OPENSEARCH_ERRORS = Counter("catalog_opensearch_errors", "Errors from OpenSearch by operation and kind",
                            ["operation", "kind"])
# Buckets for requests whose target is tens of milliseconds: fine below 100 ms, coarse above.
LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.0, 5.0)
REQUEST_LATENCY = Histogram("catalog_http_request_duration_seconds",
                            "Time to answer a request, by endpoint (webapp/metrics.py names them)",
                            ["endpoint"], buckets=LATENCY_BUCKETS)


def opensearch_error_kind(exc: Exception) -> str:
    """A short, bounded name for what went wrong, for the `kind` label."""
    if isinstance(exc, ConnectionTimeout):
        return "timeout"
    if isinstance(exc, OSConnectionError):
        return "unreachable"
    if isinstance(exc, NotFoundError):
        return "index_missing"
    if isinstance(exc, TransportError):
        status = exc.status_code if isinstance(exc.status_code, int) else 0
        if status == 429:
            return "overloaded"
        if 400 <= status < 500:
            return "bad_request"
        return "server_error"
    return "other"


def count_opensearch_error(operation: str, exc: Exception) -> None:
    OPENSEARCH_ERRORS.labels(operation=operation, kind=opensearch_error_kind(exc)).inc()


# --- read at scrape time ----------------------------------------------------------------------


class PipelineCollector(Collector):
    """The outbox and rebuild gauges, read from the database and Redis at each scrape.

    A source that cannot be read yields `catalog_metrics_source_up{source=...} 0` instead of
    failing the scrape, so Prometheus still gets the request latencies while the database is down.
    """

    def __init__(self, settings: Settings):
        self.settings = settings

    def collect(self) -> Iterable:
        up = GaugeMetricFamily("catalog_metrics_source_up", "1 when the outbox (database) or rebuild (redis) gauges could be read at this scrape",
                               labels=["source"])
        try:
            yield from self._outbox()
            up.add_metric(["database"], 1)
        except Exception as exc:  # noqa: BLE001 - a scrape must answer whatever the database does
            log.warning("metrics: could not read the outbox: %s", exc)
            up.add_metric(["database"], 0)
        try:
            yield self._rebuilds()
            up.add_metric(["redis"], 1)
        except Exception as exc:  # noqa: BLE001 - same for Redis
            log.warning("metrics: could not read the rebuild lock: %s", exc)
            up.add_metric(["redis"], 0)
        yield up

    def _outbox(self) -> Iterable[GaugeMetricFamily]:
        from store.db import session_scope
        from store.outbox import backlog

        with session_scope(self.settings.database_url, write=False) as session:
            state = backlog(session)
        yield GaugeMetricFamily("catalog_outbox_pending", "Outbox events not yet indexed (due, leased or backing off)",
                                value=state.pending)
        yield GaugeMetricFamily("catalog_outbox_oldest_pending_age_seconds",
                                "Age of the oldest outbox event not yet indexed; 0 when there is none",
                                value=_age_seconds(state.oldest_pending, utcnow()))
        yield GaugeMetricFamily("catalog_outbox_dead_letters", "Outbox events that failed too often and wait for "
                                "an operator (`catalog index repair`)", value=state.dead)

    def _rebuilds(self) -> GaugeMetricFamily:
        from indexer.rebuild_lock import current

        return GaugeMetricFamily("catalog_rebuilds_in_progress", "Rebuilds (or cleanups) holding the rebuild lock",
                                 value=0 if current(self.settings) is None else 1)


def _age_seconds(oldest: datetime | None, now: datetime) -> float:
    return max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0


# --- exposition -------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class _ProcessMetrics(Collector):
    """This process's own registry, for when there is no multiprocess directory."""

    def collect(self) -> Iterable:
        return PROCESS_REGISTRY.collect()


def scrape_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry of what this process group counted (every process's files in multiprocess mode,
    else this process's own metrics) plus `collectors`, built for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    for collector in collectors:
        registry.register(collector)
    return registry


def exposition(*collectors: Collector) -> bytes:
    """The Prometheus text format for this process group plus `collectors`."""
    return generate_latest(scrape_registry(*collectors))


def reset_multiprocess_dir(path: str, keep_pid: int | None = None) -> None:
    """Empty (or create) a multiprocess directory before the processes that write to it start.

    Files left by an earlier run would be added to this run's counters; prometheus-client asks
    for the directory to be wiped between runs. `keep_pid`'s files (`counter_<pid>.db` ...) stay:
    the calling process may have opened its own already.
    """
    directory = Path(path)
    if directory.exists():
        for entry in directory.iterdir():
            if entry.is_file() and entry.suffix == ".db":
                if keep_pid is None or not entry.stem.endswith(f"_{keep_pid}"):
                    entry.unlink()
            elif entry.is_dir():
                shutil.rmtree(entry)
    directory.mkdir(parents=True, exist_ok=True)
