"""The outbox relay: claim events, re-read the rows, write the index, and only then mark done.

Writes use the credential's `index_version` as an external version (`external_gte`), so a stale
write loses to a newer one whatever order workers run in, and a repeated write changes nothing.
The version goes up with every outbox event for the credential, not only with its own saves: two
relays holding the same revision from before and after an organization rename must not tie.
A 409 (a newer version is already there) and a 404 on delete (already gone) both mean the index
already holds what the database says, so they count as success.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as OSConnectionError
from opensearchpy.exceptions import ConnectionTimeout, TransportError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from indexer.metrics import RELAY_BATCHES, RELAY_DOCUMENTS, RELAY_FAILURES, count_opensearch_error
from indexer.registry import INDICES
from indexer.sources import LookupLoader, index_action, load_credentials
from store.db import session_scope
from store.models import OutboxEvent, Status, utcnow
from store.outbox import Claim, claim_batch, mark_done, mark_failed
from store.settings import Settings

log = logging.getLogger(__name__)

# While OpenSearch is unreachable, claimed events go back with this delay and without using up
# an attempt: an outage is not the events' fault, and they must not become dead letters.
OUTAGE_RETRY = timedelta(seconds=3)

# Seconds a bulk request may take before the relay gives up and hands its events back.
RELAY_TIMEOUT = 30.0


BATCH = 500


@dataclass
class RelayTotals:
    done: int = 0
    failed: int = 0
    unavailable: bool = False


@dataclass
class RelayResult:
    claimed: int = 0
    done: int = 0
    failed: int = 0
    unavailable: bool = False
    errors: dict[int, str] = field(default_factory=dict)


def relay_actions(session: Session, index: str, ids: set[int], loader: LookupLoader | None = None) -> list[dict]:
    """What the relay writes to `index` for `ids`, read from the database as it is now.

    Published credentials are indexed; any other (draft, archived, deleted) is deleted. Both carry
    the credential's `index_version` as an external version, so an older write can never replace
    a newer one. The version is read in the credential's row, before its children, so it is as
    old as the content or older, never newer.
    """
    credentials = load_credentials(session, ids)
    published = [c for c in credentials.values() if c.status == Status.published.value]
    lookups = (loader or LookupLoader(session)).for_batch(published) if published else None
    actions = []
    for cid in sorted(ids):
        credential = credentials.get(cid)
        if credential is not None and credential.status == Status.published.value:
            action = index_action(credential, lookups)
        else:
            action = {"_op_type": "delete", "_id": str(cid)}
            if credential is not None:
                action.update(_version=credential.index_version, _version_type="external_gte")
        action["_index"] = index
        actions.append(action)
    return actions


def write_actions(client: OpenSearch, actions: list[dict]) -> dict[int, str | None]:
    """Send `actions` in bulk. Returns credential id -> error, or None when OpenSearch confirmed it."""
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


def write_credentials(session: Session, client: OpenSearch, index: str, ids: set[int],
                      loader: LookupLoader | None = None) -> dict[int, str | None]:
    """Make `index` agree with the database for `ids`. Returns id -> error (None when confirmed)."""
    return write_actions(client, relay_actions(session, index, ids, loader))


def relay_once(settings: Settings, client: OpenSearch, limit: int = BATCH) -> RelayResult:
    """One batch: claim due events, make the index agree with the database, mark the outcome.

    Three steps, so that no write transaction is open while OpenSearch works: the claim and the
    marking are short writer transactions of their own, and documents are read in a reader
    session. On SQLite a writer holds the one write lock; held across a bulk request (or a hung
    node's 30 s timeout and retries) it queued every editor's save behind the relay.
    """
    with session_scope(settings.database_url) as session:
        claim = claim_batch(session, limit, lease=timedelta(seconds=settings.outbox_lease_seconds))
    result = RelayResult(claimed=len(claim.events))
    if not claim.events:
        return result
    RELAY_BATCHES.inc()
    credential_ids = {e.entity_id for e in claim.events if e.entity == "credential"}
    errors: dict[int, str] = {e.id: f"unknown entity {e.entity!r}" for e in claim.events if e.entity != "credential"}
    done: list[int] = []
    try:
        if credential_ids:
            alias = INDICES["credentials"].alias(settings.index_prefix)
            with session_scope(settings.database_url, write=False) as reader:
                outcome = write_credentials(reader, client, alias, credential_ids)
            for event in claim.events:
                if event.entity == "credential":
                    error = outcome.get(event.entity_id, "no result from bulk")
                    if error is None:
                        done.append(event.id)
                    else:
                        errors[event.id] = error
    except (OSConnectionError, ConnectionTimeout) as exc:
        with session_scope(settings.database_url) as session:
            release(session, claim, str(exc))
        count_opensearch_error("relay", exc)
        RELAY_FAILURES.labels(reason="unavailable").inc(len(claim.events))
        result.unavailable = True
        return result
    except TransportError as exc:
        count_opensearch_error("relay", exc)
        errors = {e.id: f"{exc.status_code}: {exc.error}" for e in claim.events}
        done = []
    with session_scope(settings.database_url) as session:
        mark_done(session, claim, done)
        mark_failed(session, claim, errors)
    result.done, result.failed, result.errors = len(done), len(errors), errors
    RELAY_DOCUMENTS.inc(len(done))
    if errors:
        RELAY_FAILURES.labels(reason="rejected").inc(len(errors))
        log.warning("relay: %d events failed, e.g. %s", len(errors), next(iter(errors.values())))
    log_indexed(claim.events, set(done))
    return result


def log_indexed(events: list[OutboxEvent], done: set[int]) -> None:
    """One line per web request whose events this batch indexed, under that request's id, so a
    publish can be followed from the save to here (store/request_ids.py). Events written outside
    a request (imports, repairs, the CLI) get one debug line for the lot."""
    by_request: dict[str | None, list[OutboxEvent]] = {}
    for event in events:
        if event.id in done:
            by_request.setdefault(event.request_id, []).append(event)
    for request_id, indexed in by_request.items():
        what = ", ".join(f"{e.entity} {e.entity_id} (event {e.id})" for e in indexed[:20])
        more = f" and {len(indexed) - 20} more" if len(indexed) > 20 else ""
        if request_id is None:
            log.debug("relay: indexed %s%s", what, more)
        else:
            log.info("relay: indexed %s%s for request %s", what, more, request_id, extra={"request_id": request_id})


def run_relay(settings: Settings, client: OpenSearch, budget_seconds: float) -> RelayTotals:
    """Relay batches until none is due, OpenSearch is unavailable, or the budget is spent.

    The one relay loop: the Celery task (beat every 2 s, and each commit's nudge) and
    `catalog index drain` both run it. Several may run at once; claims are leased row by row.
    """
    totals = RelayTotals()
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        result = relay_once(settings, client)
        totals.done += result.done
        totals.failed += result.failed
        if result.unavailable:
            totals.unavailable = True
            break
        if not result.claimed:
            break
    return totals


def release(session: Session, claim: Claim, error: str) -> None:
    """Hand claimed events back untouched (but for a note), to retry soon."""
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(claim.ids), OutboxEvent.claimed_by == claim.token)
        .values(claimed_by=None, attempts=OutboxEvent.attempts - 1,
                available_at=utcnow() + OUTAGE_RETRY, last_error=f"search unavailable: {error[:500]}")
        .execution_options(synchronize_session=False)
    )


# An outbox row's id is allocated when it is inserted, and on PostgreSQL transactions commit in
# any order: a row with an id below a catch-up's mark can commit after the mark was read. So a
# catch-up also replays every row created within this window before its mark was taken. It must
# outlast any writer's transaction (and the clock skew between hosts, as created_at is stamped
# by the writer); replaying a credential again only rewrites a document that is already right.
CATCH_UP_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class CatchUpMark:
    """Where a rebuild's catch-up starts: after this event id, and rows created since this time."""

    event_id: int
    taken_at: datetime


def catch_up_mark(session: Session) -> CatchUpMark:
    """The outbox as it stands now, taken before a rebuild reads its first row."""
    taken_at = utcnow()  # before the read: a row committed after the read was created after this
    return CatchUpMark(session.scalar(select(func.max(OutboxEvent.id))) or 0, taken_at)


def replay_since(session: Session, client: OpenSearch, index: str, mark: CatchUpMark) -> CatchUpMark:
    """Rewrite into `index` every credential named by an outbox event after `mark`.

    A full rebuild calls this before and after its alias swap, to catch the new index up with
    changes the relay wrote to the old one while the load ran. "After" is by id, or by
    creation within CATCH_UP_OVERLAP of the mark, for rows that committed out of id order.
    Returns the mark for the next catch-up.
    """
    next_mark = catch_up_mark(session)
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.entity_id)
        .where(OutboxEvent.entity == "credential",
               or_(OutboxEvent.id > mark.event_id, OutboxEvent.created_at >= mark.taken_at - CATCH_UP_OVERLAP))
    ).all()
    if rows:
        outcome = write_credentials(session, client, index, {entity_id for _, entity_id in rows})
        failures = {cid: err for cid, err in outcome.items() if err}
        if failures:
            raise RuntimeError(f"catch-up failed for {len(failures)} credentials, e.g. {next(iter(failures.items()))}")
    return CatchUpMark(max([mark.event_id, next_mark.event_id, *(event_id for event_id, _ in rows)]),
                       next_mark.taken_at)
