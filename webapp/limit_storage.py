"""Rate-limit counters in Redis in one round trip per request instead of three.

Flask-Limiter counts a hit with limits' fixed-window `incr` (one Lua call), and then, to write the
X-RateLimit-* headers, asks for the window's state: a GET of the counter and a TTL of its key,
two more round trips, and on the public endpoints it did that for every request. Profiling
autocomplete at 150 requests/s under gunicorn (py-spy, docs/operations.md) put 41% of the
request's active time in those three Redis calls, more than in OpenSearch (25%).

This storage's `incr` runs one Lua script that counts, sets the expiry on the window's first hit
and returns the count with the key's time to live. It remembers that answer for the rest of the
request in the calling thread, so the header lookups that follow are answered from memory.
Enforcement is unchanged: the decision is still made on the count Redis returned atomically;
only the headers read the remembered figures, which are the ones of this very hit.
`forget_this_request()` (called at the end of every request, webapp/limits.py) drops them; they also go stale
after MEMO_SECONDS so nothing outside a request ever reads an old count.

The URI scheme is `catalog+redis://...` (or `catalog+rediss://`); limits finds the class by it.
"""
from __future__ import annotations

import threading
import time

from limits.storage import RedisStorage

SCHEME_PREFIX = "catalog+"
MEMO_SECONDS = 1.0

# Per thread (a gunicorn thread serves one request at a time), shared by every storage instance.
_remembered = threading.local()

INCR_WITH_TTL = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""


class OneTripRedisStorage(RedisStorage):
    STORAGE_SCHEME = [f"{SCHEME_PREFIX}redis", f"{SCHEME_PREFIX}rediss"]

    def __init__(self, uri: str, **options) -> None:
        super().__init__(uri.removeprefix(SCHEME_PREFIX), **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_incr_with_ttl = self.get_connection().register_script(INCR_WITH_TTL)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        count, ttl = self.lua_incr_with_ttl([self.prefixed_key(key)], [expiry, amount])
        now = time.time()
        _hits()[(id(self), key)] = (int(count), now + max(int(ttl), 0), now)
        return int(count)

    def _fresh(self, key: str):
        hit = _hits().get((id(self), key))
        if hit is not None and time.time() - hit[2] <= MEMO_SECONDS:
            return hit
        return None

    def get(self, key: str) -> int:
        hit = self._fresh(key)
        return hit[0] if hit is not None else super().get(key)

    def get_expiry(self, key: str) -> float:
        hit = self._fresh(key)
        return hit[1] if hit is not None else super().get_expiry(key)


def _hits() -> dict:
    if not hasattr(_remembered, "hits"):
        _remembered.hits = {}
    return _remembered.hits


def forget_this_request() -> None:
    """Drop this thread's remembered hits (the end of a request)."""
    _remembered.hits = {}


def storage_uri(redis_url: str) -> str:
    """This storage for redis:// and rediss:// URLs; any other (a unix socket) keeps the stock one."""
    if redis_url.startswith(("redis://", "rediss://")):
        return SCHEME_PREFIX + redis_url
    return redis_url
