"""A real three-node OpenSearch cluster under faults, while people search and editors save.

One cluster (scripts/opensearch-local with OPENSEARCH_NODES=3, private ports and directories, its
own cluster name) serves the three scenarios of this module, which run in order:

1. a node is killed with SIGKILL and later started again;
2. every node is restarted, one after the other (a rolling restart);
3. the credentials index is rebuilt (a new index and an alias swap).

The credentials index has 3 shards and 1 replica (CREDENTIALS_SHARDS/REPLICAS), so every node
holds primaries and copies of others'. The clients are the product's own (indexer.client) over all
three URLs, as OPENSEARCH_URL lists them. A search loop, an edit loop (the authoring service) and a
relay loop (what a relay worker runs) go on through each fault; every loop is bounded.

Each scenario records searches attempted, failed and retried (a retry is a request the client sent
again to another node after a connection error or time-out) and the drift `verify` finds once the
relay has caught up, prints them and appends them to tests/artifacts/cluster-faults.txt.
"""
from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest

from indexer import operations
from indexer.client import bulk_client, web_client
from indexer.lifecycle import drop_all, ensure_index
from indexer.registry import INDICES
from indexer.relay import RELAY_TIMEOUT, run_relay
from indexer.search import SearchRequest, search
from store.db import session_scope
from store.outbox import backlog
from store.settings import Settings
from tests.conftest import ARTIFACTS
from tests.support.factories import edit, wait_for
from tests.support.services import PrivateCluster

pytestmark = [pytest.mark.cluster, pytest.mark.slow, pytest.mark.pipeline]

CREDENTIALS = 300
# The searches' own time-out: generous, because this module asserts that searches are answered
# (by some node), not how fast a 256 MB node on a shared 2-core machine answers them.
SEARCH_TIMEOUT = 10.0
REPORT = ARTIFACTS / "cluster-faults.txt"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The cluster, still starting: `stack` fills the database meanwhile, then waits for it."""
    nodes = PrivateCluster(tmp_path_factory.mktemp("cluster"))
    failures = []

    def start() -> None:
        try:
            nodes.start()
        except BaseException as exc:  # noqa: BLE001 - raised by `stack` in the test's thread
            failures.append(exc)

    nodes.starting = threading.Thread(target=start)
    nodes.starting.start()
    nodes.start_failures = failures
    yield nodes
    nodes.starting.join()
    nodes.stop()


@pytest.fixture(scope="module")
def stack(cluster, tmp_path_factory):
    """Settings for this cluster, a database with CREDENTIALS published ones, all of them indexed."""
    from bench.generate import generate_credentials
    from catalog.taxonomy import import_bundled
    from indexer.dependents import queue_credentials
    from indexer.sources import published_credential_ids
    from store.migrate import upgrade

    database_url = f"sqlite:///{tmp_path_factory.mktemp('cluster-db') / 'catalog.db'}"
    settings = Settings.from_env(database_url=database_url, opensearch_url=cluster.url,
                                 index_prefix=f"cluster-{uuid.uuid4().hex[:6]}-",
                                 credentials_shards=3, credentials_replicas=1)
    upgrade(database_url)
    with session_scope(database_url) as session:
        import_bundled(session, ["soc-2018", "onet-soc", "naics-2022", "cip-2020"])
    generate_credentials(database_url, CREDENTIALS, seed=14)
    cluster.starting.join()
    if cluster.start_failures:
        raise cluster.start_failures[0]
    spec = INDICES["credentials"]
    ensure_index(bulk_client(settings.opensearch_url), spec, settings.index_prefix, spec.shape(settings))
    with session_scope(database_url) as session:
        session.info["nudge"] = False
        ids = [cid for cid, _ in published_credential_ids(session)]
        queue_credentials(session, ids)
    drain(settings)
    assert not operations.verify(settings)
    yield settings, ids
    drop_all(bulk_client(settings.opensearch_url), settings.index_prefix)


def drain(settings: Settings, timeout: float = 90) -> None:
    """Relay until the outbox has nothing pending (events handed back after an outage included)."""
    client = bulk_client(settings.opensearch_url, RELAY_TIMEOUT)

    def empty() -> bool:
        run_relay(settings, client, budget_seconds=10)
        with session_scope(settings.database_url, write=False) as session:
            return backlog(session).pending == 0

    wait_for(empty, timeout=timeout, interval=0.5, message="the relay to empty the outbox")


def wait_green(settings: Settings, timeout: int = 90) -> str:
    health = bulk_client(settings.opensearch_url).cluster.health(
        wait_for_status="green", wait_for_nodes="3", timeout=f"{timeout}s", request_timeout=timeout + 10)
    return health["status"]


@dataclass
class Tally:
    attempted: int = 0
    failed: int = 0
    empty: int = 0
    retried: int = 0
    edits: int = 0
    edit_errors: int = 0
    errors: list[str] = field(default_factory=list)


class Workload:
    """Searches, edits and a relay in background threads until stopped (or a minute passes)."""

    MAX_SECONDS = 150

    def __init__(self, settings: Settings, ids: list[int], editing: bool = True):
        self.settings, self.ids, self.tally = settings, ids, Tally()
        self.stop_event = threading.Event()
        # A client of its own (not web_client's cached one), configured exactly like it, so that
        # its retries can be counted: every node it gives up on is marked dead once.
        self.client = web_client.__wrapped__(settings.opensearch_url, SEARCH_TIMEOUT)
        pool = self.client.transport.connection_pool
        mark_dead = pool.mark_dead

        def counting_mark_dead(connection, *args, **kwargs):
            self.tally.retried += 1
            return mark_dead(connection, *args, **kwargs)

        pool.mark_dead = counting_mark_dead
        self.threads = [threading.Thread(target=self._search, daemon=True)]
        if editing:
            self.threads += [threading.Thread(target=self._edit, daemon=True),
                             threading.Thread(target=self._relay, daemon=True)]

    def _running(self, started: float) -> bool:
        return not self.stop_event.is_set() and time.monotonic() - started < self.MAX_SECONDS

    def _search(self) -> None:
        started, requests = time.monotonic(), [SearchRequest(), SearchRequest(q="certificate")]
        while self._running(started):
            self.tally.attempted += 1
            try:
                result = search(self.client, self.settings.index_prefix, requests[self.tally.attempted % 2],
                                timeout=SEARCH_TIMEOUT)
                if result.total == 0:
                    self.tally.empty += 1
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                self.tally.failed += 1
                self.tally.errors.append(f"search: {exc!r}"[:300])
            time.sleep(0.05)

    def _edit(self) -> None:
        started, rng = time.monotonic(), random.Random(7)
        while self._running(started):
            try:
                edit(self.settings.database_url, rng.choice(self.ids), name=f"Edited under faults {uuid.uuid4().hex[:8]}")
                self.tally.edits += 1
            except Exception as exc:  # noqa: BLE001 - counted; a lost edit shows as drift anyway
                self.tally.edit_errors += 1
                self.tally.errors.append(f"edit: {exc!r}"[:300])
            time.sleep(0.2)

    def _relay(self) -> None:
        started, client = time.monotonic(), bulk_client(self.settings.opensearch_url, RELAY_TIMEOUT)
        while self._running(started):
            try:
                run_relay(self.settings, client, budget_seconds=5)
            except Exception as exc:  # noqa: BLE001 - the relay resumes on its next run, like beat's
                self.tally.errors.append(f"relay: {exc!r}"[:300])
            time.sleep(0.2)

    def __enter__(self) -> "Workload":
        for thread in self.threads:
            thread.start()
        time.sleep(1.0)  # a few searches and edits before the fault
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(1.0)  # and a few after
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=60)


def report(scenario: str, tally: Tally, drift, seconds: float, extra: str = "") -> None:
    line = (f"{scenario}: searches attempted {tally.attempted}, failed {tally.failed}, retried {tally.retried}, "
            f"empty {tally.empty}; edits {tally.edits} ({tally.edit_errors} failed); "
            f"drift after the fault {len(drift.ids)}; {seconds:.0f} s{extra}")
    print(line)
    for error in tally.errors[:5]:
        print("   ", error)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a") as fh:
        fh.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()) + line + "\n")


def test_a_killed_node_fails_no_search_and_loses_no_edit(cluster, stack):
    settings, ids = stack
    started = time.monotonic()
    with Workload(settings, ids) as load:
        cluster.kill(2)
        time.sleep(3.0)  # searches and edits go on with one node gone
        cluster.start_node(2)
    status = wait_green(settings)
    drain(settings)
    drift = operations.verify(settings)
    report("kill -9 one node", load.tally, drift, time.monotonic() - started, f"; health after restart {status}")
    assert load.tally.attempted > 0 and load.tally.edits > 0
    assert load.tally.failed == 0, load.tally.errors
    assert load.tally.retried <= 2, "a dead node is marked dead once per connection pool, then skipped"
    assert not drift, drift
    assert status == "green"


def test_a_rolling_restart_fails_no_search(cluster, stack):
    settings, ids = stack
    started = time.monotonic()
    with Workload(settings, ids) as load:
        for node in range(cluster.nodes):
            cluster.stop_node(node)
            cluster.start_node(node)
            # Replicas are whole again before the next node goes, or one shard could lose both copies.
            assert wait_green(settings) == "green"
    drain(settings)
    drift = operations.verify(settings)
    report("rolling restart", load.tally, drift, time.monotonic() - started)
    assert load.tally.attempted > 0
    assert load.tally.failed == 0, load.tally.errors
    assert not drift, drift


def test_a_rebuild_on_the_cluster_is_invisible_to_searches(cluster, stack):
    settings, ids = stack
    started = time.monotonic()
    alias = INDICES["credentials"].alias(settings.index_prefix)
    client = bulk_client(settings.opensearch_url)
    before = set(client.indices.get_alias(name=alias))
    with Workload(settings, ids, editing=False) as load:
        operations.reindex(settings, "credentials")
    after = client.indices.get_alias(name=alias)
    drift = operations.verify(settings)
    report("zero-downtime rebuild", load.tally, drift, time.monotonic() - started)
    assert set(after) != before, "the alias points at the new index"
    index_settings = client.indices.get_settings(index=alias)[next(iter(after))]["settings"]["index"]
    assert (index_settings["number_of_shards"], index_settings["number_of_replicas"]) == ("3", "1")
    assert load.tally.attempted > 0
    assert load.tally.failed == 0 and load.tally.empty == 0, load.tally.errors
    assert not drift
