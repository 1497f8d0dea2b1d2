"""GET /healthz: the state of the database, Redis and OpenSearch, within a 2 s budget.

The three probes run in parallel threads and the answer is sent when the deadline passes, so a
service that hangs shows up as "timeout" instead of holding the request.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait

import redis
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from indexer.client import web_client
from store.db import get_engine

bp = Blueprint("health", __name__)

DEADLINE = 1.5
_pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="healthz")


def _check_database(settings) -> str:
    with get_engine(settings.database_url).connect() as conn:
        conn.execute(text("SELECT 1"))
    return "up"


def _check_redis(settings) -> str:
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=1, socket_connect_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "up"


def _check_opensearch(settings) -> str:
    health = web_client(settings.opensearch_url, timeout=1.2).cluster.health(request_timeout=1.2)
    if health["status"] == "red":
        return "red"
    return "up"


CHECKS = {"database": _check_database, "redis": _check_redis, "opensearch": _check_opensearch}


def probe(settings, deadline: float = DEADLINE) -> dict[str, str]:
    started = time.monotonic()
    futures = {name: _pool.submit(check, settings) for name, check in CHECKS.items()}
    wait(futures.values(), timeout=max(0.0, deadline - (time.monotonic() - started)))
    states = {}
    for name, future in futures.items():
        if not future.done():
            states[name] = "timeout"
        elif future.exception() is not None:
            states[name] = f"down: {type(future.exception()).__name__}"
        else:
            states[name] = future.result()
    return states


@bp.get("/healthz")
def healthz():
    states = probe(current_app.config["SETTINGS"])
    down = sorted(name for name, state in states.items() if state != "up")
    body = {"status": "ok" if not down else "degraded", "services": states}
    if down:
        body["down"] = down
    return jsonify(body), 200 if not down else 503
