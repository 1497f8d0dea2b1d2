"""The rebuild lock and orphaned indices, through the operator's commands run as subprocesses.

A rebuild holds `<prefix>reindex-lock:all` with a short TTL that a heartbeat renews; a worker
SIGKILLed mid-rebuild must block the next rebuild for at most that TTL (it used to be 3 hours),
and the half-built index it leaves behind must show up in `status` and go with `cleanup`.
The TTLs here are a few seconds, set through REBUILD_LOCK_SECONDS as an operator would; the
assertions are about the TTL being honoured (`pttl` bounds), not about how long things took.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import time
from types import SimpleNamespace

import pytest
import redis

from indexer import operations
from indexer.client import bulk_client
from indexer.lifecycle import aliased_indices, drop_all
from indexer.registry import INDICES
from tests.support.cli import operator_env, run_catalog
from tests.support.factories import wait_for
from workers.app import all_queues

pytestmark = pytest.mark.pipeline

HOST = socket.gethostname()


def _key(settings) -> str:
    return f"{settings.index_prefix}reindex-lock:all"


def _unaliased(client, settings, name: str) -> list[str]:
    spec = INDICES[name]
    serving = aliased_indices(client, spec.alias(settings.index_prefix))
    return sorted(index for index in client.indices.get(index=f"{spec.physical_prefix(settings.index_prefix)}*")
                  if index not in serving)


def test_the_heartbeat_renews_a_short_lock_through_a_rebuild_that_outlasts_it(settings, indices):
    ttl = 3.0
    short = dataclasses.replace(settings, rebuild_lock_seconds=ttl)
    r = redis.Redis.from_url(settings.redis_url)
    samples: list[int] = []

    def progress(name, done, total):
        if done == 0:
            # Hold the rebuild here, under its lock, for two TTLs, watching what Redis holds.
            until = time.monotonic() + 2 * ttl
            while time.monotonic() < until:
                samples.append(r.pttl(_key(settings)))
                time.sleep(0.1)

    counts = operations.reindex(short, "sectors", progress)

    assert counts == {"sectors": 2125}
    assert len(samples) > 10
    # Always there, never set for longer than the TTL: renewed, not made long-lived.
    assert all(0 < ms <= ttl * 1000 for ms in samples), samples
    assert r.exists(_key(settings)) == 0


def test_inline_reindex_refuses_while_another_holder_has_the_lock_and_status_names_the_holder(settings, worker):
    from indexer.rebuild_lock import rebuild_lock

    env = operator_env(settings)
    with rebuild_lock(settings, "reindex all", task="test-holder"):
        refused = run_catalog(env, "index", "reindex", "sectors", "--inline")
        text = run_catalog(env, "index", "status")
        as_json = run_catalog(env, "index", "status", "--json")
        skipped = run_catalog(env, "index", "reindex", "sectors", "--wait", "--timeout", "120")
    free = run_catalog(env, "index", "status", "--json")

    holder = f"{HOST} pid {os.getpid()} (task test-holder, reindex all since "
    assert refused.returncode == 1
    assert holder in refused.stderr and "catalog index unlock" in refused.stderr
    assert "reindexed" not in refused.stdout
    assert text.returncode == 0, text.stderr
    assert f"rebuild lock: held by {holder}" in text.stdout
    lock = json.loads(as_json.stdout)["lock"]
    assert (lock["host"], lock["pid"], lock["task"], lock["job"]) == (HOST, os.getpid(), "test-holder", "reindex all")
    assert 0 < lock["expires_in_seconds"] <= settings.rebuild_lock_seconds
    # The worker path refuses the same way: one lock below both.
    assert skipped.returncode == 1
    assert "reindex skipped: the rebuild lock is held by" in skipped.stderr and holder in skipped.stderr
    assert json.loads(free.stdout)["lock"] is None


def test_unlock_names_the_holder_and_a_live_rebuild_stops_before_its_swap(settings, indices):
    from indexer.rebuild_lock import LockLost

    env = operator_env(settings)
    client = bulk_client(settings.opensearch_url)
    alias = INDICES["sectors"].alias(settings.index_prefix)
    serving = aliased_indices(client, alias)
    unlocked = []

    def progress(name, done, total):
        if done == 0:
            unlocked.append(run_catalog(env, "index", "unlock"))

    with pytest.raises(LockLost, match="removed or expired"):
        operations.reindex(dataclasses.replace(settings, rebuild_lock_seconds=3.0), "sectors", progress)

    assert unlocked[0].returncode == 0, unlocked[0].stderr
    assert unlocked[0].stdout.startswith(f"unlock: removed the rebuild lock held by {HOST} pid {os.getpid()} "
                                         "(inline, reindex sectors since ")
    assert aliased_indices(client, alias) == serving
    assert _unaliased(client, settings, "sectors") == []
    again = run_catalog(env, "index", "unlock")
    assert again.returncode == 1
    assert "no rebuild lock is held" in again.stderr


LOCK_SECONDS = 5.0


@pytest.fixture(scope="module")
def own_stack(settings, tmp_path_factory):
    """Its own Redis, database, index prefix and worker, with a 5 s rebuild lock.

    The worker gets SIGKILLed, which leaves an unacked message and a dead lock in its Redis: they
    stay in a private redis-server. The prefix sits under the run's prefix (so the run's cleanup
    drops its indices too) and is distinct from it (so each is "another prefix" to the other).
    """
    from bench.generate import generate_credentials
    from catalog.taxonomy import import_bundled
    from store.db import session_scope
    from store.migrate import upgrade
    from store.settings import Settings
    from tests.conftest import ARTIFACTS, RUN_ID, throwaway_database
    from tests.support.services import CeleryProcess, PrivateRedis
    from workers.app import make_celery

    workdir = tmp_path_factory.mktemp("rebuild-lock")
    redis_server = PrivateRedis(workdir).start()
    with throwaway_database(workdir, "lock") as database_url:
        own = Settings.from_env(database_url=database_url, redis_url=redis_server.url,
                                opensearch_url=settings.opensearch_url, index_prefix=f"{settings.index_prefix}lock-",
                                secret_key=settings.secret_key, rebuild_lock_seconds=LOCK_SECONDS)
        upgrade(database_url)
        with session_scope(database_url) as session:
            import_bundled(session)
        # Enough that the rebuild is still loading when the test kills its worker.
        generate_credentials(database_url, 20000, seed=15)
        env = operator_env(own, REBUILD_LOCK_SECONDS=str(LOCK_SECONDS))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        worker = CeleryProcess("worker", env, ARTIFACTS / f"lock-worker-{RUN_ID}.log",
                               all_queues(own.index_prefix)).start()
        celery = make_celery(own, set_as_current=False)
        wait_for(lambda: _answers_ping(celery), timeout=60, message="the stack's worker to answer ping")
        try:
            yield SimpleNamespace(settings=own, env=env, worker=worker, celery=celery,
                                  redis=redis.Redis.from_url(own.redis_url))
        finally:
            worker.stop()
            drop_all(bulk_client(own.opensearch_url), own.index_prefix)
    redis_server.stop()


def _answers_ping(celery) -> bool:
    try:
        return celery.send_task("workers.tasks.ping").get(timeout=5)["pong"]
    except Exception:  # noqa: BLE001 - not up yet
        return False


@pytest.mark.slow
def test_a_worker_killed_mid_rebuild_blocks_rebuilds_for_one_ttl_and_cleanup_removes_its_index(own_stack):
    own, env = own_stack.settings, own_stack.env
    client = bulk_client(own.opensearch_url)
    created = run_catalog(env, "index", "init")
    assert created.returncode == 0, created.stderr
    assert "credentials -> " in created.stdout
    alias = INDICES["credentials"].alias(own.index_prefix)
    serving = aliased_indices(client, alias)

    queued = run_catalog(env, "index", "reindex", "credentials")
    assert queued.returncode == 0, queued.stderr
    task_id = re.search(r"queued as task (\S+);", queued.stdout).group(1)
    result = own_stack.celery.AsyncResult(task_id)

    def loading() -> bool:
        info = result.info if result.state == "PROGRESS" else None
        return isinstance(info, dict) and info["index"] == "credentials" and 1000 <= info["done"] < info["total"]

    wait_for(loading, timeout=120, interval=0.05, message="the worker's rebuild to be loading documents")
    own_stack.worker.kill()
    raw, left = own_stack.redis.pipeline().get(_key(own)).pttl(_key(own)).execute()

    # The dead worker's lock outlives it by at most one TTL (it was 3 hours) ...
    assert 0 < left <= LOCK_SECONDS * 1000
    assert json.loads(raw)["task"] == task_id
    half_built = _unaliased(client, own, "credentials")
    assert len(half_built) == 1 and half_built[0] not in serving
    wait_for(lambda: not own_stack.redis.exists(_key(own)), timeout=LOCK_SECONDS + 30,
             message="the dead worker's lock to expire")
    # ... after which the next rebuild runs, while the old index kept serving throughout.
    following = run_catalog(env, "index", "reindex", "sectors", "--inline")
    assert following.returncode == 0, following.stderr
    assert following.stdout.strip() == "reindexed sectors: 2125"
    assert aliased_indices(client, alias) == serving

    # Indices that are not orphans of this prefix: another prefix's, and one not named like ours.
    decoys = [f"{own.index_prefix}other-credentials-v1-0badcafe", f"{own.index_prefix}credentials-notes"]
    for name in decoys:
        client.indices.create(index=name)

    recent = json.loads(run_catalog(env, "index", "status", "--json").stdout)
    assert recent["orphans"] == [] and recent["lock"] is None   # younger than the 30 min default
    status = run_catalog(env, "index", "status", "--older-than", "0")
    assert f"  {half_built[0]}  created " in status.stdout
    report = json.loads(run_catalog(env, "index", "status", "--json", "--older-than", "0").stdout)
    assert [orphan["index"] for orphan in report["orphans"]] == half_built

    dry = run_catalog(env, "index", "cleanup", "--older-than", "0", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip() == f"cleanup: would delete 1 orphaned index: {half_built[0]}"
    assert client.indices.exists(index=half_built[0])

    cleaned = run_catalog(env, "index", "cleanup", "--older-than", "0")
    assert cleaned.returncode == 0, cleaned.stderr
    assert cleaned.stdout.strip() == f"cleanup: deleted 1 orphaned index: {half_built[0]}"
    assert not client.indices.exists(index=half_built[0])
    assert all(client.indices.exists(index=name) for name in decoys)
    for spec in INDICES.values():
        assert len(aliased_indices(client, spec.alias(own.index_prefix))) == 1, spec.name
    assert aliased_indices(client, alias) == serving
    nothing = run_catalog(env, "index", "cleanup", "--older-than", "0")
    assert nothing.stdout.strip() == "cleanup: deleted 0 orphaned indices (none without an alias older than 0 min)"


def test_cleanup_refuses_while_a_rebuild_holds_the_lock(settings, indices):
    from indexer.rebuild_lock import rebuild_lock

    env = operator_env(settings)
    with rebuild_lock(settings, "reindex credentials", task="test-rebuild"):
        refused = run_catalog(env, "index", "cleanup", "--older-than", "0")
    assert refused.returncode == 1
    assert "cleanup refused" in refused.stderr and "task test-rebuild" in refused.stderr
