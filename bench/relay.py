"""Relay throughput with 1, 2 and 4 relay processes sharing one outbox on PostgreSQL.

It generates N published credentials (bench/generate.py) in a throwaway PostgreSQL database once;
then, for each worker count K, it queues one outbox event per credential (as `catalog index
repair` does), starts K processes that each run the relay loop a Celery worker runs
(`indexer.relay.run_relay`: claim with FOR UPDATE SKIP LOCKED, build, bulk, mark), and times
them until the outbox is empty. K = 1 is the baseline, measured in the same run.

Each row also checks the claims: `ok` when the relays' `done` counts add up to exactly the events
queued, so no event was relayed twice (max attempts above 1 means a time-out handed events back).

    .venv/bin/python -m bench.relay -n 5000            # OPENSEARCH_URL may list several nodes
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import secrets
import time
import uuid

POSTGRES_ADMIN_URL = os.environ.get("POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def prepare(n: int):
    """A new PostgreSQL database with the taxonomies the generator needs and `n` credentials."""
    from bench.generate import generate_credentials
    from catalog.taxonomy import import_bundled
    from store.db import session_scope
    from store.migrate import upgrade
    from store.settings import Settings

    name = f"bench_relay_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    with session_scope(url) as session:
        import_bundled(session, ["soc-2018", "onet-soc", "naics-2022", "cip-2020"])
    generate_credentials(url, n)
    settings = Settings.from_env(database_url=url, index_prefix=f"bench-relay-{secrets.token_hex(3)}-")
    return name, settings


def queue_everything(settings) -> int:
    from indexer.dependents import queue_credentials
    from indexer.sources import published_credential_ids
    from store.db import session_scope

    with session_scope(settings.database_url) as session:
        session.info["nudge"] = False  # no Celery here: the processes below are the consumers
        ids = [cid for cid, _ in published_credential_ids(session)]
        return queue_credentials(session, ids)


def relay_process(settings, results) -> None:
    """One relay, as a worker's relay tasks run it, until the outbox is empty.

    A relay task stops when nothing is due or OpenSearch times out (its events go back for a few
    seconds); beat then sends the next one. This loop stands in for beat.
    """
    from sqlalchemy import func, select

    from indexer.client import bulk_client
    from indexer.relay import RELAY_TIMEOUT, run_relay
    from store.db import session_scope
    from store.models import OutboxEvent

    client = bulk_client(settings.opensearch_url, RELAY_TIMEOUT)
    done = failed = 0
    while True:
        totals = run_relay(settings, client, budget_seconds=900)
        done, failed = done + totals.done, failed + totals.failed
        with session_scope(settings.database_url, write=False) as session:
            if not session.scalar(select(func.count()).where(OutboxEvent.state == "pending")):
                break
        time.sleep(0.2)
    results.put((done, failed))


def measure(settings, workers: int) -> dict:
    from sqlalchemy import delete, func, select

    from store.db import session_scope
    from store.models import OutboxEvent

    with session_scope(settings.database_url) as session:
        session.execute(delete(OutboxEvent))
    queued = queue_everything(settings)
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=relay_process, args=(settings, results)) for _ in range(workers)]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    outcomes = [results.get() for _ in procs]
    seconds = time.perf_counter() - started
    for proc in procs:
        proc.join()
    with session_scope(settings.database_url, write=False) as session:
        pending = session.scalar(select(func.count()).where(OutboxEvent.state != "done"))
        most_attempts = session.scalar(select(func.max(OutboxEvent.attempts)))
    return {"queued": queued, "seconds": seconds, "done": [d for d, _ in outcomes],
            "failed": sum(f for _, f in outcomes), "pending": pending, "most_attempts": most_attempts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="credentials, one event each (default 5000)")
    parser.add_argument("-w", "--workers", type=int, action="append", help="relay processes (default 1, 2, 4)")
    args = parser.parse_args()
    counts = args.workers or [1, 2, 4]

    from indexer.client import bulk_client
    from indexer.lifecycle import drop_all, ensure_index
    from indexer.registry import INDICES

    name, settings = prepare(args.n)
    client = bulk_client(settings.opensearch_url)
    try:
        spec = INDICES["credentials"]
        ensure_index(client, spec, settings.index_prefix, spec.shape(settings))
        measure(settings, 1)  # warm-up: the first load into a new index pays for its segments and caches
        print(f"relay throughput, {args.n:,} events on PostgreSQL, OpenSearch {settings.opensearch_url}, "
              f"{os.cpu_count()} cores")
        print(f"{'relays':>6} {'events/s':>9} {'x baseline':>10} {'seconds':>8} {'done per relay':>24} "
              f"{'failed':>6} {'left':>5} {'max attempts':>12} {'claims':>7}")
        baseline = None
        for workers in counts:
            row = measure(settings, workers)
            rate = row["queued"] / row["seconds"]
            baseline = baseline or rate
            print(f"{workers:>6} {rate:>9,.0f} {rate / baseline:>10.2f} {row['seconds']:>8.1f} "
                  f"{'+'.join(map(str, row['done'])):>24} {row['failed']:>6} {row['pending']:>5} "
                  f"{row['most_attempts']:>12} {'ok' if sum(row['done']) == row['queued'] else 'OVERLAP':>7}", flush=True)
    finally:
        drop_all(client, settings.index_prefix)
        from store.db import get_engine

        get_engine.cache_clear()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
