"""The transactional outbox: what changed, written beside the change, consumed by the relay.

Writers call `record_change` inside their own transaction, so the event commits or rolls back
with the change itself: there is no window in which a commit can happen without its event.
The relay claims rows with a lease; a worker that dies mid-batch simply lets its lease expire,
and another worker picks the rows up again.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from typing import Callable

from sqlalchemy import and_, delete, event, func, select, update
from sqlalchemy.orm import Session

from store.db import is_postgres
from store.models import OutboxEvent, utcnow
from store.request_ids import current_request_id

MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=60)


def record_change(session: Session, entity: str, entity_id: int, revision: int = 0) -> None:
    # The current request id (None outside a web request) lets the relay's log line name the
    # request that caused the write.
    session.add(OutboxEvent(entity=entity, entity_id=entity_id, revision=revision, request_id=current_request_id()))
    session.info["outbox_dirty"] = True


# Called after a commit that wrote outbox events, to wake the relay at once instead of at the
# next beat tick. The process that owns a way to reach the workers installs it (the web app,
# the CLI); without one, beat still picks every event up within a couple of seconds.
_nudge: Callable[[], None] | None = None


def set_nudge(callback: Callable[[], None] | None) -> None:
    global _nudge
    _nudge = callback


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("outbox_dirty", False) and session.info.get("nudge", True) and _nudge is not None:
        _nudge()


def backoff(attempts: int) -> timedelta:
    """Exponential, capped at ten minutes: 2 s, 4 s, 8 s, ..."""
    return timedelta(seconds=min(600, 2**attempts))


@dataclass(frozen=True)
class Claim:
    token: str
    events: list[OutboxEvent]

    @property
    def ids(self) -> list[int]:
        return [e.id for e in self.events]


def claim_batch(session: Session, limit: int = 500, now: datetime | None = None,
                lease: timedelta = LEASE) -> Claim:
    """Lease up to `limit` due events to this caller and commit the lease.

    PostgreSQL skips rows other relays hold (FOR UPDATE SKIP LOCKED). SQLite has one writer at a
    time, so the single UPDATE ... WHERE id IN (SELECT ...) is already atomic there.
    """
    now = now or utcnow()
    token = uuid.uuid4().hex
    due = (
        select(OutboxEvent.id)
        .where(and_(OutboxEvent.state == "pending", OutboxEvent.available_at <= now))
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if is_postgres(session.get_bind()):
        due = due.with_for_update(skip_locked=True)
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(due.scalar_subquery()))
        .values(claimed_by=token, available_at=now + lease, attempts=OutboxEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    events = list(
        session.scalars(select(OutboxEvent).where(OutboxEvent.claimed_by == token).order_by(OutboxEvent.id))
    )
    return Claim(token, events)


def mark_done(session: Session, claim: Claim, ids: list[int]) -> None:
    if not ids:
        return
    session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(ids), OutboxEvent.claimed_by == claim.token)
        .values(state="done", done_at=utcnow(), last_error="")
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, claim: Claim, errors: dict[int, str], now: datetime | None = None) -> None:
    """Put failed events back with backoff; past MAX_ATTEMPTS they become dead letters."""
    now = now or utcnow()
    by_id = {e.id: e for e in claim.events}
    for event_id, error in errors.items():
        attempts = by_id[event_id].attempts
        values = {"last_error": error[:2000], "claimed_by": None}
        if attempts >= MAX_ATTEMPTS:
            values["state"] = "dead"
        else:
            values["available_at"] = now + backoff(attempts)
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, OutboxEvent.claimed_by == claim.token)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class Backlog:
    pending: int
    dead: int
    oldest_pending: datetime | None


def backlog(session: Session) -> Backlog:
    pending, oldest = session.execute(
        select(func.count(), func.min(OutboxEvent.created_at)).where(OutboxEvent.state == "pending")
    ).one()
    dead = session.scalar(select(func.count()).where(OutboxEvent.state == "dead"))
    return Backlog(pending=pending, dead=dead or 0, oldest_pending=oldest)


def purge_done(session: Session, older_than: timedelta = timedelta(days=1)) -> int:
    result = session.execute(
        delete(OutboxEvent).where(OutboxEvent.state == "done", OutboxEvent.done_at < utcnow() - older_than)
    )
    return result.rowcount or 0
