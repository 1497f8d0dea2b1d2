"""The rebuild lock: one rebuild (or cleanup) per index prefix at a time, and a dead holder
frees it within a minute.

Two rebuilds of one prefix would each load a new index and race to swap the alias. So every
rebuild, whether a worker runs it or `catalog index reindex --inline` does, first takes the Redis
key `<prefix>reindex-lock:all` through `rebuild_lock()`, and `catalog index cleanup` takes it too
so that no rebuild creates a new, not yet aliased index while orphans are being deleted.

The lock proves its holder is alive rather than guessing how long a rebuild takes: it is set
with a short time to live (`REBUILD_LOCK_SECONDS`, 60 s by default) that a heartbeat thread
renews every third of it. A worker killed mid-rebuild stops renewing, so the next rebuild may
start at most one TTL later. (It used to be a fixed 3-hour timeout, which a SIGKILL turned into
3 hours without rebuilds.)

The key's value names its holder (host, pid, Celery task id or "inline", what it is doing and
since when), so `catalog index status` can say who holds it and `catalog index unlock` whose
lock it removed. A holder that loses its lock (an operator unlocked it, or it expired while the
process was frozen) stops before it swaps the alias: the heartbeat notices and the rebuild calls
`check()` as it progresses and `ensure_held()` just before the swap.

redis-py's Lock does the token-checked acquire, renew and release; this module adds the holder
identity, the heartbeat and the operator's view.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterator

import redis
from redis.exceptions import LockNotOwnedError
from redis.lock import Lock

from store.settings import Settings

log = logging.getLogger(__name__)


def lock_key(prefix: str) -> str:
    return f"{prefix}reindex-lock:all"


def _redis(settings: Settings) -> redis.Redis:
    return redis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)


@dataclass(frozen=True)
class Holder:
    """Who holds the lock. Stored as the key's JSON value, which is also the lock's token."""

    host: str
    pid: int
    task: str          # the Celery task id, or "inline" for a command run in a terminal
    job: str           # "reindex all", "reindex sectors", "cleanup"
    started_at: str    # ISO 8601, UTC
    token: str = field(default_factory=lambda: secrets.token_hex(8))

    @classmethod
    def here(cls, job: str, task: str) -> "Holder":
        started = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return cls(host=socket.gethostname(), pid=os.getpid(), task=task, job=job, started_at=started)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_value(cls, raw: bytes) -> "Holder":
        """Read a stored value; one this code did not write (the old lock stored a bare uuid)
        still gives a holder, so status and unlock work across an upgrade."""
        try:
            return cls(**json.loads(raw))
        except (ValueError, TypeError):
            return cls(host="unknown host", pid=0, task="unknown", job="unknown job", started_at="unknown",
                       token=raw.decode(errors="replace"))

    def describe(self) -> str:
        who = "inline" if self.task == "inline" else f"task {self.task}"
        return f"{self.host} pid {self.pid} ({who}, {self.job} since {self.started_at})"


@dataclass(frozen=True)
class LockState:
    holder: Holder
    expires_in: float | None   # seconds until the key expires unless its holder renews it

    def describe(self) -> str:
        expiry = "" if self.expires_in is None else f"; expires in {self.expires_in:.0f} s unless renewed"
        return self.holder.describe() + expiry

    def as_dict(self) -> dict:
        details = asdict(self.holder)
        details.pop("token")
        return {**details, "expires_in_seconds": self.expires_in, "held_by": self.describe()}


class RebuildLocked(RuntimeError):
    """Someone else holds the lock."""

    def __init__(self, state: LockState):
        self.state = state
        super().__init__(f"the rebuild lock is held by {state.describe()}")


class LockLost(RuntimeError):
    """The lock was removed or expired while its holder was still working."""


def _state(raw: bytes | None, pttl: int) -> LockState | None:
    if raw is None:
        return None
    return LockState(Holder.from_value(raw), pttl / 1000 if pttl >= 0 else None)


def current(settings: Settings) -> LockState | None:
    """Who holds the lock now, or None."""
    key = lock_key(settings.index_prefix)
    raw, pttl = _redis(settings).pipeline().get(key).pttl(key).execute()
    return _state(raw, pttl)


def force_unlock(settings: Settings) -> LockState | None:
    """Delete the lock whoever holds it; returns what was removed (read and deleted atomically)."""
    key = lock_key(settings.index_prefix)
    raw, pttl, _deleted = _redis(settings).pipeline(transaction=True).get(key).pttl(key).delete(key).execute()
    return _state(raw, pttl)


class HeldLock:
    """A lock this process holds, renewed by a daemon thread until `stop()`."""

    def __init__(self, lock: Lock, holder: Holder, ttl: float):
        self._lock, self.holder, self.ttl = lock, holder, ttl
        self.lost: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="rebuild-lock-heartbeat", daemon=True)

    def start(self) -> "HeldLock":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        # Every third of the TTL, so two renewals may fail (a slow Redis, a busy machine) before
        # the lock expires under a live holder.
        while not self._stop.wait(self.ttl / 3):
            try:
                self._lock.reacquire()
            except LockNotOwnedError:
                self.lost = f"the rebuild lock was removed or expired while {self.holder.describe()} held it"
                log.error("%s; the rebuild will stop before swapping the alias", self.lost)
                return
            except redis.RedisError as exc:
                # Keep trying: Redis may be back before the TTL runs out; ensure_held decides.
                log.warning("could not renew the rebuild lock: %s", exc)

    def check(self) -> None:
        """Raise LockLost if the heartbeat found the lock gone (no round trip; call it often)."""
        if self.lost:
            raise LockLost(self.lost)

    def ensure_held(self) -> None:
        """Ask Redis whether the lock is still ours (call it before an irreversible step)."""
        self.check()
        if not self._lock.owned():
            self.lost = f"the rebuild lock was removed or expired while {self.holder.describe()} held it"
            raise LockLost(self.lost)


@contextmanager
def rebuild_lock(settings: Settings, job: str, task: str = "inline") -> Iterator[HeldLock]:
    """Hold the prefix's rebuild lock for the block, or raise RebuildLocked naming the holder."""
    client = _redis(settings)
    holder = Holder.here(job, task)
    # thread_local=False: the heartbeat thread renews with the token the acquiring thread set.
    lock = client.lock(lock_key(settings.index_prefix), timeout=settings.rebuild_lock_seconds,
                       blocking=False, thread_local=False)
    while not lock.acquire(token=holder.to_json()):
        state = current(settings)
        if state is not None:
            raise RebuildLocked(state)
        # It expired between our attempt and the read: try again.
    held = HeldLock(lock, holder, settings.rebuild_lock_seconds).start()
    try:
        yield held
    finally:
        held.stop()
        try:
            lock.release()
        except LockNotOwnedError:
            log.warning("the rebuild lock of %s was already gone when it finished", holder.describe())
