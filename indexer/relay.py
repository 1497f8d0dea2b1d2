"""The outbox relay: claim events, re-read the rows, write the index, and only then mark done.

Writes use the credential's revision as an external version (`external_gte`), so a stale write
loses to a newer one whatever order workers run in, and a repeated write changes nothing.
A 409 (a newer version is already there) and a 404 on delete (already gone) both mean the index
already holds what the database says, so they count as success.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, TransportError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from indexer.registry import INDICES
from indexer.sources import LookupLoader, index_action, load_credentials
from store.models import OutboxEvent, Status, utcnow
from store.outbox import LEASE, Claim, claim_batch, mark_done, mark_failed

log = logging.getLogger(__name__)

# While OpenSearch is unreachable, claimed events go back with this delay and without using up
# an attempt: an outage is not the events' fault, and they must not become dead letters.
OUTAGE_RETRY = timedelta(seconds=3)


@dataclass
class RelayResult:
    claimed: int = 0
    done: int = 0
    failed: int = 0
    unavailable: bool = False
    errors: dict[int, str] = field(default_factory=dict)


def write_credentials(session: Session, client: OpenSearch, index: str, ids: set[int],
                      loader: LookupLoader | None = None) -> dict[int, str | None]:
    """Make `index` agree with the database for `ids`. Returns id -> error (None when confirmed)."""
    credentials = load_credentials(session, ids)
    published = [c for c in credentials.values() if c.status == Status.published.value]
    lookups = (loader or LookupLoader(session)).for_batch(published) if published else None
    actions = []
    for cid in sorted(ids):
        credential = credentials.get(cid)
        if credential is not None and credential.status == Status.published.value:
            action = index_action(credential, lookups)
            action["_index"] = index
            actions.append(action)
        else:
            action = {"_op_type": "delete", "_index": index, "_id": str(cid)}
            if credential is not None:
                action.update(_version=credential.revision, _version_type="external_gte")
            actions.append(action)
    outcome: dict[int, str | None] = {}
    for ok, item in helpers.streaming_bulk(client, actions, raise_on_error=False, raise_on_exception=True,
                                           max_retries=3, initial_backoff=1, chunk_size=500):
        op, info = next(iter(item.items()))
        cid = int(info["_id"])
        status = info.get("status", 500)
        if ok or status == 409 or (op == "delete" and status == 404):
            outcome[cid] = None
        else:
            outcome[cid] = f"{status}: {info.get('error')}"
    return outcome


def relay_once(session: Session, client: OpenSearch, prefix: str, limit: int = 500,
               lease: timedelta = LEASE) -> RelayResult:
    claim = claim_batch(session, limit, lease=lease)
    result = RelayResult(claimed=len(claim.events))
    if not claim.events:
        return result
    by_entity: dict[str, list[OutboxEvent]] = defaultdict(list)
    for event in claim.events:
        by_entity[event.entity].append(event)
    errors: dict[int, str] = {}
    done: list[int] = []
    try:
        credential_events = by_entity.pop("credential", [])
        if credential_events:
            alias = INDICES["credentials"].alias(prefix)
            outcome = write_credentials(session, client, alias, {e.entity_id for e in credential_events})
            for event in credential_events:
                error = outcome.get(event.entity_id, "no result from bulk")
                if error is None:
                    done.append(event.id)
                else:
                    errors[event.id] = error
        for entity, events in by_entity.items():
            for event in events:
                errors[event.id] = f"unknown entity {entity!r}"
    except (OSConnectionError, ConnectionTimeout) as exc:
        release(session, claim, str(exc))
        session.commit()
        result.unavailable = True
        return result
    except TransportError as exc:
        errors = {e.id: f"{exc.status_code}: {exc.error}" for e in claim.events}
        done = []
    mark_done(session, claim, done)
    mark_failed(session, claim, errors)
    session.commit()
    result.done, result.failed, result.errors = len(done), len(errors), errors
    if errors:
        log.warning("relay: %d events failed, e.g. %s", len(errors), next(iter(errors.values())))
    return result


def release(session: Session, claim: Claim, error: str) -> None:
    """Hand claimed events back untouched (but for a note), to retry soon."""
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(claim.ids), OutboxEvent.claimed_by == claim.token)
        .values(claimed_by=None, attempts=OutboxEvent.attempts - 1,
                available_at=utcnow() + OUTAGE_RETRY, last_error=f"search unavailable: {error[:500]}")
        .execution_options(synchronize_session=False)
    )


def replay_since(session: Session, client: OpenSearch, index: str, after_id: int) -> int:
    """Rewrite into `index` every credential named by an outbox event newer than `after_id`.

    A full rebuild calls this before and after its alias swap, to catch the new index up with
    changes the relay wrote to the old one while the load ran. Returns the highest id seen.
    """
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.entity_id)
        .where(OutboxEvent.id > after_id, OutboxEvent.entity == "credential")
    ).all()
    if not rows:
        return after_id
    outcome = write_credentials(session, client, index, {entity_id for _, entity_id in rows})
    failures = {cid: err for cid, err in outcome.items() if err}
    if failures:
        raise RuntimeError(f"catch-up failed for {len(failures)} credentials, e.g. {next(iter(failures.items()))}")
    return max(event_id for event_id, _ in rows)
