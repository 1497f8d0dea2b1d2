"""Celery tasks. Each is idempotent and carries ids or names, never documents."""
from __future__ import annotations

import logging
import socket
import time

from celery import shared_task

from indexer import operations
from indexer.client import bulk_client
from indexer.rebuild_lock import RebuildLocked
from indexer.relay import RELAY_TIMEOUT, run_relay
from store.db import session_scope
from store.outbox import purge_done

log = logging.getLogger(__name__)


def _settings():
    from workers.app import celery_app

    return celery_app.conf.settings


@shared_task(name="workers.tasks.ping")
def ping() -> dict:
    return {"pong": True, "host": socket.gethostname(), "at": time.time()}


@shared_task(name="workers.tasks.relay_outbox", ignore_result=True)
def relay_outbox(budget_seconds: float = 20.0) -> dict:
    """Process due outbox events until none are left or the budget is spent.

    Beat sends this every 2 s and every commit nudges it; several copies may run at once, which
    is safe because claims are leased row by row.
    """
    settings = _settings()
    totals = run_relay(settings, bulk_client(settings.opensearch_url, RELAY_TIMEOUT), budget_seconds)
    return {"done": totals.done, "failed": totals.failed}


@shared_task(name="workers.tasks.reindex", bind=True)
def reindex(self, target: str = "all") -> dict:
    """Rebuild `target` under the prefix's rebuild lock (see indexer.rebuild_lock); skipped, with
    the holder named, while another rebuild holds it."""
    settings = _settings()
    # Progress is reported from the bulk threads, where Celery's per-thread request (and so the
    # task id update_state would use) is not set.
    task_id = self.request.id

    def progress(name: str, done: int, total: int | None) -> None:
        self.update_state(task_id=task_id, state="PROGRESS", meta={"index": name, "done": done, "total": total})

    try:
        counts = operations.reindex(settings, target, progress, task=task_id)
    except RebuildLocked as exc:
        return {"skipped": str(exc)}
    return {"reindexed": counts}


@shared_task(name="workers.tasks.init_indices")
def init_indices() -> dict:
    return {"created": {k: v for k, v in operations.init_indices(_settings()).items() if v}}


@shared_task(name="workers.tasks.refresh_concept_counts", ignore_result=True)
def refresh_concept_counts() -> int:
    return operations.refresh_concept_counts(_settings())


@shared_task(name="workers.tasks.purge_outbox", ignore_result=True)
def purge_outbox() -> int:
    with session_scope(_settings().database_url) as session:
        return purge_done(session)


@shared_task(name="workers.tasks.run_import_job", ignore_result=True)
def run_import_job(job_id: int) -> dict | None:
    """Run a queued import job (catalog.imports.jobs): a dry run or the confirmed import."""
    from catalog.imports.jobs import run_job
    from workers.nudge import send_nudge

    summary = run_job(_settings(), job_id)
    if summary and (summary["created"] or summary["updated"]):
        # Commits in a worker wake no relay (only the web app installs the after-commit nudge):
        # published imports reach the index now rather than at beat's next tick.
        send_nudge(_settings())
    return summary
