"""Three Celery workers relay one outbox on PostgreSQL, and a rebuild never holds up the relay.

The workers are real `celery worker` processes on the relay queue only (workers/app.py). Their
claims use FOR UPDATE SKIP LOCKED, so no two relays ever hold the same event: the `done` counts
the workers report add up to exactly the events queued (a relay marks done only events its own
claim holds, so a shared claim would count twice). This module always runs on PostgreSQL, where SKIP LOCKED applies, with its own
database and prefix (SQLite has one writer at a time and nothing to skip), and its own
OpenSearch node: on the shared one, other runs' bulk loads can push every relay batch into 429s
(indexing pressure) for minutes, which tests OpenSearch's back-pressure, not the relays.
"""
from __future__ import annotations

import ast
import re
import secrets
import threading
import uuid

import pytest
import redis
from sqlalchemy import func, select

from indexer import operations
from indexer.client import bulk_client
from indexer.lifecycle import ensure_index
from indexer.registry import INDICES
from indexer.search import SearchRequest, search
from store.db import session_scope
from store.models import OutboxEvent
from store.settings import Settings
from tests.conftest import ARTIFACTS, _create_postgres_database, _drop_postgres_database
from tests.support.cli import operator_env
from tests.support.factories import edit, wait_for
from tests.support.services import CeleryProcess, PrivateOpenSearch
from workers.app import make_celery, queue_names

pytestmark = [pytest.mark.pipeline, pytest.mark.slow]

WORKERS = 3
CREDENTIALS = 1200   # three claims of 500 (indexer.relay.BATCH) at least, so the relays compete
SUCCEEDED = re.compile(r"Task workers\.tasks\.relay_outbox\[[^\]]+\] succeeded in [\d.e-]+s: (\{.*\})")


@pytest.fixture(scope="module")
def relays(tmp_path_factory):
    from bench.generate import generate_credentials
    from catalog.taxonomy import import_bundled
    from store.migrate import upgrade

    node = PrivateOpenSearch(tmp_path_factory.mktemp("relays-node"))
    starting = threading.Thread(target=node.start)  # the node boots while the database fills
    starting.start()
    name = f"catalog_relays_{uuid.uuid4().hex[:8]}"
    database_url = _create_postgres_database(name)
    upgrade(database_url)
    with session_scope(database_url) as session:
        import_bundled(session, ["soc-2018", "onet-soc", "naics-2022", "cip-2020"])
    generate_credentials(database_url, CREDENTIALS, seed=21)
    starting.join()
    settings = Settings.from_env(database_url=database_url, index_prefix=f"relays-{uuid.uuid4().hex[:6]}-",
                                 opensearch_url=node.url, secret_key=secrets.token_hex(32))
    spec = INDICES["credentials"]
    ensure_index(bulk_client(settings.opensearch_url), spec, settings.index_prefix, spec.shape(settings))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    queue = queue_names(settings.index_prefix)["relay"]
    workers = [CeleryProcess("worker", operator_env(settings), ARTIFACTS / f"relay-{i}-{settings.index_prefix}log",
                             queue, concurrency=1).start() for i in range(WORKERS)]
    app = make_celery(settings, set_as_current=False)
    try:
        wait_for(lambda: len(app.control.ping(timeout=1.0)) >= WORKERS, timeout=90, interval=0.5,
                 message=f"{WORKERS} relay workers to answer")
        yield settings, app, workers
    finally:
        for worker in workers:
            worker.stop()
        broker = redis.Redis.from_url(settings.redis_url)
        for name_ in queue_names(settings.index_prefix).values():
            broker.delete(name_)
        node.stop()
        _drop_postgres_database(name)


def _pending(settings) -> int:
    with session_scope(settings.database_url, write=False) as session:
        return session.scalar(select(func.count()).where(OutboxEvent.state == "pending"))


def _relay_until_empty(settings, app, timeout: float = 120) -> None:
    """Send relay tasks as beat would (every second) until the outbox is empty."""
    def empty() -> bool:
        if _pending(settings) == 0:
            return True
        app.send_task("workers.tasks.relay_outbox")
        return False

    wait_for(empty, timeout=timeout, interval=1.0, message="the relays to empty the outbox")


def _done_per_worker(workers) -> list[int]:
    done = []
    for worker in workers:
        text = worker.log_path.read_text(errors="replace")
        done.append(sum(ast.literal_eval(m.group(1))["done"] for m in SUCCEEDED.finditer(text)))
    return done


def test_three_relays_claim_each_event_once_and_index_everything(relays):
    from indexer.dependents import queue_credentials
    from indexer.sources import published_credential_ids

    settings, app, workers = relays
    with session_scope(settings.database_url) as session:
        session.info["nudge"] = False
        ids = [cid for cid, _ in published_credential_ids(session)]
        queued = queue_credentials(session, ids)
    for _ in range(WORKERS):  # one wake-up per worker at once: they race for the same rows
        app.send_task("workers.tasks.relay_outbox")
    # Editors keep saving while the relays work: their events join the same outbox.
    for n, cid in enumerate(ids[::100]):
        edit(settings.database_url, cid, name=f"Edited while three relays run {n}")
        queued += 1
    _relay_until_empty(settings, app)

    with session_scope(settings.database_url, write=False) as session:
        states = dict(session.execute(select(OutboxEvent.state, func.count()).group_by(OutboxEvent.state)).all())
        attempts = dict(session.execute(select(OutboxEvent.attempts, func.count()).group_by(OutboxEvent.attempts)).all())
    assert states == {"done": queued}
    # The last task logs its result just after its events are marked done.
    wait_for(lambda: sum(_done_per_worker(workers)) >= queued, timeout=60, message="every relay task to report")
    done = _done_per_worker(workers)
    print(f"{WORKERS} relays on PostgreSQL: {queued} events, done per worker {done}, attempts {attempts} "
          "(a second attempt follows a rejection by a busy OpenSearch, never a shared claim)")
    # A relay marks done only the events its own claim holds, so two relays holding one event at
    # once would both count it: the sum would pass the number of events.
    assert sum(done) == queued, "the workers' done counts add up to each event exactly once"
    assert sum(1 for d in done if d) >= 2, f"the relays shared the work: {done}"
    assert not operations.verify(settings)


def test_a_waiting_rebuild_does_not_delay_publish_to_searchable(relays):
    """A rebuild is queued and nobody serves the rebuild queue (as if its worker were busy with
    a long one): an edit still reaches the index through the relay queue."""
    from indexer.sources import published_credential_ids

    settings, app, _workers = relays
    assert app.amqp.router.route({}, "workers.tasks.reindex")["queue"].name == queue_names(settings.index_prefix)["rebuild"]
    assert app.amqp.router.route({}, "workers.tasks.relay_outbox")["queue"].name == queue_names(settings.index_prefix)["relay"]
    broker = redis.Redis.from_url(settings.redis_url)
    rebuild_queue = queue_names(settings.index_prefix)["rebuild"]
    app.send_task("workers.tasks.reindex", args=["credentials"])
    assert broker.llen(rebuild_queue) == 1

    with session_scope(settings.database_url, write=False) as session:
        cid = next(iter(published_credential_ids(session)))[0]
    edit(settings.database_url, cid, name="Searchable behind a queued rebuild")
    app.send_task("workers.tasks.relay_outbox")   # the commit's nudge, sent to this stack's queue
    client = bulk_client(settings.opensearch_url)

    def found() -> bool:
        client.indices.refresh(index=INDICES["credentials"].alias(settings.index_prefix))
        request = SearchRequest(q="Searchable behind a queued rebuild")
        return search(client, settings.index_prefix, request, timeout=30).total >= 1

    wait_for(found, timeout=60, message="the edit to be searchable")
    assert broker.llen(rebuild_queue) == 1, "the rebuild is still waiting: the relay did not queue behind it"
    assert not operations.verify(settings)
