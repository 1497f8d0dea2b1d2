"""Crash safety: kill the worker mid-batch, stop OpenSearch, restart Redis; no update is lost.

Each scenario ends with `verify` reporting zero drift between the database and the index. The
services that get hurt are private to this module (see tests/support/services.py), and so are
the database, the index prefix, the worker and beat.
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import func, insert, select

from indexer import operations
from store.db import session_scope
from store.migrate import upgrade
from store.models import Credential, OutboxEvent
from store.settings import Settings
from catalog.taxonomy import import_bundled
from tests.support.factories import edit, make_credential, make_org_and_editor, set_status, wait_for
from tests.support.services import CeleryProcess, PrivateOpenSearch, PrivateRedis
from workers.app import all_queues

# It builds its own database (throwaway_database), so it names the db marker itself.
pytestmark = [pytest.mark.pipeline, pytest.mark.slow, pytest.mark.db]

LEASE_SECONDS = 4


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """Private Redis and OpenSearch, a migrated database, and the environment for Celery."""
    from tests.conftest import ARTIFACTS, throwaway_database

    workdir = tmp_path_factory.mktemp("crash")
    redis_server = PrivateRedis(workdir).start()
    node = PrivateOpenSearch(workdir).start()
    with throwaway_database(workdir, "crash") as database_url:
        settings = Settings.from_env(database_url=database_url, redis_url=redis_server.url,
                                     opensearch_url=node.url, index_prefix=f"crash-{uuid.uuid4().hex[:6]}-",
                                     outbox_lease_seconds=LEASE_SECONDS)
        upgrade(database_url)
        with session_scope(database_url) as session:
            import_bundled(session)
        operations.init_indices(settings)
        env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_server.url,
               "OPENSEARCH_URL": node.url, "INDEX_PREFIX": settings.index_prefix,
               "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS)}
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        beat = CeleryProcess("beat", env, ARTIFACTS / f"crash-beat-{settings.index_prefix}log", "").start()
        state = {"settings": settings, "env": env, "node": node, "redis": redis_server, "workers": []}

        def start_worker() -> CeleryProcess:
            worker = CeleryProcess("worker", env, ARTIFACTS / f"crash-worker-{settings.index_prefix}log",
                                   all_queues(settings.index_prefix)).start()
            state["workers"].append(worker)
            return worker

        state["start_worker"] = start_worker
        yield state
        for worker in state["workers"]:
            worker.stop()
        beat.stop()
    node.stop()
    redis_server.stop()


def _counts(settings) -> dict[str, int]:
    with session_scope(settings.database_url, write=False) as s:
        rows = s.execute(select(OutboxEvent.state, func.count()).group_by(OutboxEvent.state)).all()
        claimed = s.scalar(select(func.count()).where(OutboxEvent.state == "pending",
                                                      OutboxEvent.claimed_by.is_not(None)))
    return {**dict(rows), "claimed": claimed}


def _no_drift(settings) -> bool:
    try:
        return not operations.verify(settings) and not _counts(settings).get("pending")
    except Exception:  # noqa: BLE001 - OpenSearch may still be starting
        return False


def test_sigkill_of_the_worker_mid_batch_loses_nothing(stack):
    from bench.generate import generate_credentials

    settings = stack["settings"]
    generate_credentials(settings.database_url, 3000, seed=7)
    with session_scope(settings.database_url) as s:
        s.info["nudge"] = False
        s.execute(insert(OutboxEvent), [
            {"entity": "credential", "entity_id": cid, "revision": rev}
            for cid, rev in s.execute(select(Credential.id, Credential.revision))
        ])
    worker = stack["start_worker"]()
    # Kill the moment a batch is claimed and not yet acknowledged: its rows are leased, not done.
    wait_for(lambda: _counts(settings).get("claimed"), timeout=60, interval=0.02, message="a claimed batch")
    worker.kill()
    counts = _counts(settings)
    assert counts.get("pending", 0) > 0, counts
    stack["start_worker"]()
    wait_for(lambda: _no_drift(settings), timeout=180, interval=1, message="zero drift after the kill")


def test_stopping_opensearch_while_edits_continue_loses_nothing(stack):
    settings = stack["settings"]
    if not any(w.proc.poll() is None for w in stack["workers"]):
        stack["start_worker"]()
    org_id, _ = make_org_and_editor(settings.database_url)
    before = [make_credential(settings.database_url, org_id, name=f"Before outage {i}", nudge=False) for i in range(5)]
    wait_for(lambda: _no_drift(settings), timeout=60, message="the index to catch up before the outage")
    stack["node"].stop()
    during = [make_credential(settings.database_url, org_id, name=f"During outage {i}", nudge=False) for i in range(5)]
    edit(settings.database_url, before[0], name="Renamed during the outage")
    set_status(settings.database_url, before[1], "archived")
    set_status(settings.database_url, during[0], "draft")
    stack["node"].start()
    wait_for(lambda: _no_drift(settings), timeout=120, interval=1, message="zero drift after OpenSearch returned")
    assert _counts(settings).get("dead", 0) == 0


def test_restarting_redis_loses_nothing(stack):
    settings = stack["settings"]
    if not any(w.proc.poll() is None for w in stack["workers"]):
        stack["start_worker"]()
    org_id, _ = make_org_and_editor(settings.database_url)
    first = make_credential(settings.database_url, org_id, name="Before the Redis restart", nudge=False)
    wait_for(lambda: _no_drift(settings), timeout=60)
    stack["redis"].stop()
    second = make_credential(settings.database_url, org_id, name="While Redis is down", nudge=False)
    edit(settings.database_url, first, name="Edited while Redis is down")
    stack["redis"].start()
    wait_for(lambda: _no_drift(settings), timeout=120, interval=1, message="zero drift after Redis restarted")
    with session_scope(settings.database_url, write=False) as s:
        assert s.get(Credential, second).status == "published"
