"""gunicorn settings every way of running the web app shares (Dockerfile, compose, scripts/dev,
the benchmarks): gunicorn reads ./gunicorn.conf.py on its own, and `-c gunicorn.conf.py` says so.

Command-line flags still win (`--workers`, `--threads`, `--bind` ...). What lives here is what
the product needs whatever the size of the server:

- **Metrics across workers.** prometheus-client's multiprocess mode: every worker writes its
  counters to files in PROMETHEUS_MULTIPROC_DIR and GET /metrics adds them up (webapp/metrics.py).
  The directory must be set before a worker imports prometheus_client, so it is set here (a
  fresh directory per server unless the environment names one), emptied when the server starts
  (left-over files would be counted again), and a worker that exits is marked dead so its live
  gauges go with it.
- **JSON logs.** With LOG_FORMAT=json gunicorn's own error and access lines are JSON too, and an
  access line carries the response's X-Request-ID (store/logs.py, webapp/request_ids.py).
"""
from __future__ import annotations

import os
import tempfile

# Before anything imports prometheus_client: the workers (forked from this process) inherit it.
_OWN_DIRECTORY = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _OWN_DIRECTORY = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="catalog-web-metrics-")

# gthread: threads wait on OpenSearch and Redis without holding a process; see docs/operations.md
# ("Capacity of one web node") for the sizing measured on two cores.
worker_class = "gthread"
# Each worker touches its heartbeat file on every turn of its loop; on a disk (or a container's
# overlay file system) that was a few per cent of a busy worker's time. Memory does it for free.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


def on_starting(server) -> None:
    from indexer.metrics import reset_multiprocess_dir

    reset_multiprocess_dir(os.environ["PROMETHEUS_MULTIPROC_DIR"], keep_pid=os.getpid())


def on_exit(server) -> None:
    if _OWN_DIRECTORY:  # made above for this server alone: nobody reads it after this
        import shutil

        shutil.rmtree(_OWN_DIRECTORY, ignore_errors=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _json_logging() -> dict | None:
    if os.environ.get("LOG_FORMAT", "").strip().lower() != "json":
        return None
    from store.logs import JsonLineFormatter

    class AccessLineFormatter(JsonLineFormatter):
        """gunicorn logs an access line with its atoms as the record's args: take the request id
        from the response header the app set."""

        def add_fields(self, log_record, record, message_dict):
            if isinstance(record.args, dict) and not getattr(record, "request_id", None):
                sent = record.args["{x-request-id}o"]  # gunicorn's atoms answer "-" for a missing one
                record.request_id = sent if sent != "-" else None
            super().add_fields(log_record, record, message_dict)

    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLineFormatter}, "access": {"()": AccessLineFormatter}},
        "handlers": {"error": handler, "access": {**handler, "formatter": "access", "stream": "ext://sys.stdout"}},
        # The app's own lines go to the root handler create_app installs (with the request id).
        "root": {"level": "INFO", "handlers": []},
        "loggers": {"gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
                    "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
    }


logconfig_dict = _json_logging() or {}
