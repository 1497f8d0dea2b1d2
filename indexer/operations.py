"""What operators do to the indices: init, rebuild, status, verify, repair and drain.

The Celery tasks and the `catalog index` commands both call these; nothing here knows about
either, so each operation is a plain function of settings (and a progress callback).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from opensearchpy import NotFoundError, helpers
from sqlalchemy import func, select

from indexer.client import bulk_client
from indexer.dependents import queue_credentials
from indexer.lifecycle import UnaliasedIndex, aliased_indices, apply_replicas, ensure_index, rebuild, unaliased_indices
from indexer.rebuild_lock import HeldLock, LockState, current, force_unlock, rebuild_lock
from indexer.registry import INDICES, TARGETS, VOCABULARIES
from indexer.relay import RELAY_TIMEOUT, catch_up_mark, replay_since, run_relay
from indexer.sources import concept_actions, credential_actions, credential_counts, published_credential_ids
from store.db import session_scope
from store.models import Concept, Credential, OutboxEvent, Scheme, Status
from store.outbox import backlog, record_change
from store.settings import Settings
from store.vocabulary import bound_scheme

log = logging.getLogger(__name__)

# An index without an alias this old is an orphan; younger ones may be one that `init` is about
# to alias or a rebuild is loading. Longer than any step between creating an index and aliasing it.
ORPHAN_MINUTES = 30

Progress = Callable[[str, int, int | None], None]


def _client(settings: Settings):
    return bulk_client(settings.opensearch_url, settings.bulk_timeout)


def init_indices(settings: Settings) -> dict[str, str | None]:
    """Create missing indices with the deployment's shape; existing ones get its replicas (shards
    change only with a rebuild). Returns the indices created, by name."""
    client = _client(settings)
    created = {}
    for name, spec in INDICES.items():
        shape = spec.shape(settings)
        created[name] = ensure_index(client, spec, settings.index_prefix, shape)
        if not created[name]:
            for index in apply_replicas(client, spec.alias(settings.index_prefix), shape.replicas):
                log.info("init: %s now has %d replica(s)", index, shape.replicas)
    return created


def expected_count(settings: Settings, name: str) -> int:
    with session_scope(settings.database_url, write=False) as session:
        if name == "credentials":
            return session.scalar(select(func.count()).where(Credential.status == Status.published.value)) or 0
        scheme = bound_scheme(session, name)
        return session.scalar(select(func.count()).select_from(Concept).join(Scheme).where(Scheme.name == scheme)) or 0


def reindex(settings: Settings, target: str, progress: Progress | None = None, task: str = "inline") -> dict[str, int]:
    """Rebuild every index in `target` (a name from TARGETS) with zero downtime.

    Holds the prefix's rebuild lock throughout, or raises RebuildLocked; `task` names this holder
    (a Celery task id, or "inline") for `catalog index status`. A rebuild that loses the lock
    stops before its alias swap and deletes its new index.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    client = _client(settings)
    counts = {}
    with rebuild_lock(settings, f"reindex {target}", task) as held:
        for name in TARGETS[target]:
            counts[name] = _rebuild_one(settings, client, name, held, progress)
    return counts


def _rebuild_one(settings: Settings, client, name: str, held: HeldLock, progress: Progress | None) -> int:
    spec = INDICES[name]
    total = expected_count(settings, name)

    def report(done: int) -> None:
        held.check()
        if progress:
            progress(name, done, total)

    report(0)
    with session_scope(settings.database_url, write=False) as session:
        if name == "credentials":
            state = {"mark": catch_up_mark(session)}

            def catch_up(index: str) -> None:
                with session_scope(settings.database_url, write=False) as replay_session:
                    state["mark"] = replay_since(replay_session, client, index, state["mark"])

            def before_swap(index: str) -> None:
                catch_up(index)
                held.ensure_held()

            result = rebuild(client, spec, settings.index_prefix, credential_actions(session),
                             catch_up=before_swap, progress=report, shape=spec.shape(settings))
            # The relay may have written to the old index between the catch-up and the swap.
            catch_up(result.index)
        else:
            result = rebuild(client, spec, settings.index_prefix, concept_actions(session, name),
                             catch_up=lambda index: held.ensure_held(), progress=report, shape=spec.shape(settings))
    log.info("reindexed %s: %d documents into %s", name, result.indexed, result.index)
    return result.indexed


def refresh_concept_counts(settings: Settings) -> int:
    """Update `credential_count` on vocabulary documents whose count changed. Returns updates."""
    client = _client(settings)
    updates = 0
    for name in VOCABULARIES:
        alias = INDICES[name].alias(settings.index_prefix)
        if not aliased_indices(client, alias):
            continue
        with session_scope(settings.database_url, write=False) as session:
            counts = credential_counts(session, name)
        indexed = {
            hit["_id"]: hit["_source"].get("credential_count", 0)
            for hit in helpers.scan(client, index=alias, query={"query": {"range": {"credential_count": {"gt": 0}}}},
                                    _source=["credential_count"])
        }
        changed = {code: counts.get(code, 0) for code in set(counts) | set(indexed)
                   if counts.get(code, 0) != indexed.get(code, 0)}
        actions = ({"_op_type": "update", "_index": alias, "_id": code, "doc": {"credential_count": n}}
                   for code, n in changed.items())
        ok, _errors = helpers.bulk(client, actions, raise_on_error=False)
        updates += ok
    return updates


@dataclass
class Drift:
    missing: list[int] = field(default_factory=list)   # published, not in the index
    stale: list[int] = field(default_factory=list)     # in the index at an older index_version
    orphans: list[int] = field(default_factory=list)   # in the index, not published

    @property
    def ids(self) -> list[int]:
        return sorted(set(self.missing) | set(self.stale) | set(self.orphans))

    def __bool__(self) -> bool:
        return bool(self.ids)


def verify(settings: Settings) -> Drift:
    """Compare (id, index_version) between the database's published set and the credentials index.

    The index version goes up with every change a document shows (indexer.dependents), its own
    or an embedded record's, so an equal version means the same content.
    """
    client = _client(settings)
    alias = INDICES["credentials"].alias(settings.index_prefix)
    client.indices.refresh(index=alias)
    indexed: dict[int, int] = {}
    for hit in helpers.scan(client, index=alias, query={"query": {"match_all": {}}, "version": True},
                            _source=False, size=2000):
        indexed[int(hit["_id"])] = hit["_version"]
    drift = Drift()
    with session_scope(settings.database_url, write=False) as session:
        for cid, index_version in published_credential_ids(session):
            version = indexed.pop(cid, None)
            if version is None:
                drift.missing.append(cid)
            elif version < index_version:
                drift.stale.append(cid)
    drift.orphans = sorted(indexed)
    return drift


def repair(settings: Settings, drift: Drift | None = None) -> int:
    """Queue outbox events for every drifted credential; the relay then fixes them."""
    drift = drift if drift is not None else verify(settings)
    with session_scope(settings.database_url) as session:
        session.info["nudge"] = False
        queued = queue_credentials(session, drift.ids)
        # Orphans whose rows are gone altogether still need their delete.
        for cid in set(drift.ids) - set(session.scalars(select(Credential.id).where(Credential.id.in_(drift.ids)))):
            record_change(session, "credential", cid, 0)
            queued += 1
    return queued


def drain(settings: Settings, budget_seconds: float = 600.0) -> dict[str, int]:
    """Run the relay here until no event is due (or the budget runs out)."""
    totals = run_relay(settings, bulk_client(settings.opensearch_url, RELAY_TIMEOUT), budget_seconds)
    if totals.unavailable:
        raise ConnectionError("OpenSearch is unavailable; events were put back for later")
    return {"done": totals.done, "failed": totals.failed}


def orphans(settings: Settings, older_than_minutes: float = ORPHAN_MINUTES) -> list[UnaliasedIndex]:
    """This prefix's physical indices with no alias, created more than `older_than_minutes` ago:
    what a rebuild killed before its swap leaves behind."""
    now = time.time()
    return [found for found in unaliased_indices(_client(settings), INDICES.values(), settings.index_prefix)
            if found.age_minutes(now) >= older_than_minutes]


def cleanup(settings: Settings, older_than_minutes: float = ORPHAN_MINUTES,
            dry_run: bool = False) -> list[UnaliasedIndex]:
    """Delete orphaned indices (see `orphans`); returns them. With `dry_run`, only list them.

    Holds the rebuild lock while deleting, so no rebuild starts and creates a new, not yet aliased
    index meanwhile; raises RebuildLocked while one runs.
    """
    if dry_run:
        return orphans(settings, older_than_minutes)
    client = _client(settings)
    with rebuild_lock(settings, "cleanup"):
        found = orphans(settings, older_than_minutes)
        for orphan in found:
            client.indices.delete(index=orphan.index, ignore_unavailable=True)
            log.info("cleanup: deleted orphaned index %s", orphan.index)
    return found


def lock_state(settings: Settings) -> LockState | None:
    return current(settings)


def unlock(settings: Settings) -> LockState | None:
    """Remove the rebuild lock whoever holds it; returns what was removed, or None."""
    return force_unlock(settings)


def shard_health(client, alias: str, configured_replicas: int) -> dict | None:
    """Shard and replica health of the index behind `alias`: its status (green: every copy
    started; yellow: a replica is not; red: a primary is not), shards and replicas as set on
    the index and as configured, and how many copies are active, initializing or unassigned."""
    try:
        health = client.cluster.health(index=alias, level="indices")
    except NotFoundError:
        return None
    if not health.get("indices"):
        return None
    name, info = next(iter(health["indices"].items()))
    return {
        "status": info["status"], "shards": info["number_of_shards"], "replicas": info["number_of_replicas"],
        "configured_replicas": configured_replicas,
        "active_primaries": info["active_primary_shards"], "active": info["active_shards"],
        "copies": info["number_of_shards"] * (1 + info["number_of_replicas"]),
        "relocating": info["relocating_shards"], "initializing": info["initializing_shards"],
        "unassigned": info["unassigned_shards"],
    }


def status(settings: Settings, orphan_minutes: float = ORPHAN_MINUTES) -> dict:
    client = _client(settings)
    cluster = client.cluster.health()
    report = {"cluster": {"name": cluster["cluster_name"], "status": cluster["status"],
                          "nodes": cluster["number_of_nodes"], "data_nodes": cluster["number_of_data_nodes"]},
              "indices": {}, "outbox": {}}
    for name, spec in INDICES.items():
        alias = spec.alias(settings.index_prefix)
        names = aliased_indices(client, alias)
        count = None
        if names:
            try:
                count = client.count(index=alias)["count"]
            except NotFoundError:
                count = None
        report["indices"][name] = {"alias": alias, "indices": names, "documents": count,
                                   "expected": expected_count(settings, name),
                                   "health": shard_health(client, alias, spec.shape(settings).replicas) if names else None}
    with session_scope(settings.database_url) as session:
        b = backlog(session)
        dead = session.execute(
            select(OutboxEvent.id, OutboxEvent.entity, OutboxEvent.entity_id, OutboxEvent.attempts, OutboxEvent.last_error)
            .where(OutboxEvent.state == "dead").order_by(OutboxEvent.id).limit(20)
        ).all()
    report["outbox"] = {
        "pending": b.pending,
        "oldest_pending": b.oldest_pending.isoformat() + "Z" if b.oldest_pending else None,
        "dead": b.dead,
        "dead_letters": [dict(id=r[0], entity=r[1], entity_id=r[2], attempts=r[3], error=r[4]) for r in dead],
    }
    lock = lock_state(settings)
    report["lock"] = lock.as_dict() if lock else None
    now = time.time()
    report["orphans"] = [
        {"index": found.index, "created_at": _iso(found.created_at), "age_minutes": round(found.age_minutes(now), 1)}
        for found in orphans(settings, orphan_minutes)
    ]
    report["orphan_minutes"] = orphan_minutes
    return report


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
