"""The public endpoints' rate limit costs one Redis round trip per request (webapp/limit_storage.py),
and still limits and still sends the X-RateLimit-* headers of that very hit.

Counted with a private redis-server's own command statistics, so no other run's traffic is
counted and nothing is timed. The endpoint is autocomplete with an unknown vocabulary: limited
like any other, answered without OpenSearch.
"""
from __future__ import annotations

import dataclasses

import pytest
import redis

from tests.support.services import PrivateRedis


@pytest.fixture()
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path).start()
    yield server
    server.stop()


def _round_trips(url: str, work) -> list[str]:
    """The commands clients sent while `work()` ran, as Redis's MONITOR saw them (commands a Lua
    script ran inside Redis are left out: they cost no round trip)."""
    seen: list[str] = []
    with redis.Redis.from_url(url).monitor() as monitor:
        work()
        redis.Redis.from_url(url).echo("done")
        for command in monitor.listen():
            if command["client_type"] == "lua":
                continue
            if command["command"].upper().startswith("ECHO"):
                return seen
            seen.append(command["command"].split()[0].upper())
    return seen


def test_a_limited_request_costs_one_redis_round_trip(settings, database, private_redis):
    from webapp import create_app

    app = create_app(dataclasses.replace(settings, redis_url=private_redis.url), TESTING=True,
                     RATELIMIT_ENABLED=True, AUTOCOMPLETE_RATE_LIMIT="6/minute")
    client = app.test_client()
    first = client.get("/api/v1/autocomplete/nope")  # loads the Lua script once per process
    assert first.status_code == 404 and first.headers["X-RateLimit-Remaining"] == "5"

    remaining = []
    sent = _round_trips(private_redis.url, lambda: remaining.extend(
        client.get("/api/v1/autocomplete/nope").headers["X-RateLimit-Remaining"] for _ in range(5)))
    assert remaining == ["4", "3", "2", "1", "0"]
    assert sent == ["EVALSHA"] * 5  # count, expiry and time to live in one script; no GET, no TTL

    limited = client.get("/api/v1/autocomplete/nope")
    assert limited.status_code == 429 and limited.json["error"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    # Another address has its own allowance.
    assert client.get("/api/v1/autocomplete/nope", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 404
