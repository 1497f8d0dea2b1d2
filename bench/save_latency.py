"""Editor save latency on SQLite while the outbox relay runs flat out, against the relay idle.

Builds a throwaway catalog (temporary SQLite database, indices under `bench-<random>-`) with N
generated published credentials, serves the app under gunicorn on a free loopback port and
sends K saves through the authoring API, open loop (save i is due at start + i x interval
whatever the ones before it did): PATCH /api/v1/editor/credentials/<id> with a new description
and that credential's current revision, each save on a different credential, so none is a 409.

1. baseline: K saves with the relay idle;
2. relay: an outbox event queued for every published credential and the relay running in two
   processes (each a loop of indexer.relay.relay_once, as `catalog index drain` does; the first re-queues every credential whenever the outbox runs dry, so the relay
   never idles), while K more saves go out at the same pace.

Processes, not threads, so SQLite's single-writer lock is contended as between web and worker in
production. Prints p50/p95/p99/max of the saves that answered 2xx and the failures (non-2xx or
no answer) by kind for both phases, relay/baseline at p50 and p95, and the events the relay
confirmed per second while the phase-2 saves ran.

    .venv/bin/python -m bench.save_latency                  # 5000 credentials, 200 saves a phase
    .venv/bin/python -m bench.save_latency --credentials 20000 --saves 400 --interval 25

Everything it creates is dropped on the way out: database, indices, and the Redis queue that the
web app's after-commit relay nudges fill (no Celery worker listens to it here). Project code it
calls, besides bench/load.py and bench/sandbox.py, each imported at the top of its one user:
webapp.wsgi:app (gunicorn), catalog.accounts.service (create_user, create_token),
indexer.sources.published_credential_ids, store.outbox.record_change, indexer.relay.relay_once,
indexer.client.bulk_client, store.db.session_scope and store.settings.Settings.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import secrets
import time

import redis

from bench.load import Run, drive, percentile, serving, session_per_thread
from bench.sandbox import sandbox_catalog
from store.settings import Settings

RELAYS = 2
WARMUP = 10


def editor_token(settings: Settings) -> str:
    """A Bearer token for a platform admin, who may edit every generated credential."""
    from store.db import session_scope
    from catalog.accounts import service as accounts

    with session_scope(settings.database_url) as session:
        user = accounts.create_user(session, "bench@save-latency.example", secrets.token_urlsafe(16),
                                    platform_admin=True)
        return accounts.create_token(session, user, "save latency bench")[1]


def published(settings: Settings) -> list[tuple[int, int]]:
    from indexer.sources import published_credential_ids
    from store.db import session_scope

    with session_scope(settings.database_url, write=False) as session:
        return [(cid, revision) for cid, revision in published_credential_ids(session)]


def queue_all(settings: Settings, pairs: list[tuple[int, int]]) -> None:
    """One outbox event per credential, in one transaction (as `catalog index repair` queues them)."""
    from store.db import session_scope
    from store.outbox import record_change

    with session_scope(settings.database_url) as session:
        session.info["nudge"] = False  # no Celery worker here; the relay processes are the consumers
        for cid, revision in pairs:
            record_change(session, "credential", cid, revision)


def relay_loop(settings: Settings, worker: int, pairs: list[tuple[int, int]], stop, done, batches) -> None:
    """A relay process: relay_once until told to stop; worker 0 re-queues everything when dry."""
    from indexer.client import bulk_client
    from indexer.relay import RELAY_TIMEOUT, relay_once

    client = bulk_client(settings.opensearch_url, RELAY_TIMEOUT)
    while not stop.is_set():
        result = relay_once(settings, client)
        with done.get_lock():
            done.value += result.done
            batches.value += bool(result.claimed)
        if not result.claimed:
            if worker == 0:
                queue_all(settings, pairs)
            else:
                time.sleep(0.01)


def timed_saves(url: str, token: str, targets: list[tuple[int, int]], interval: float, clients: int) -> Run:
    session = session_per_thread()

    def save(target: tuple[int, int]):
        cid, revision = target
        answer = session().patch(f"{url}/api/v1/editor/credentials/{cid}", timeout=120,
                                 headers={"Authorization": f"Bearer {token}"},
                                 json={"revision": revision, "description": f"Saved by the bench at {time.time()}."})
        answer.raise_for_status()
        return None, None

    return drive(targets, 1 / interval, clients, save)


def row(name: str, run: Run) -> dict:
    figures = {p: percentile(run.latencies_ms, p) for p in (50, 95, 99, 100)}
    failures = ", ".join(f"{n} x {kind}" for kind, n in run.errors.items()) or "none"
    print(f"  {name:<22} p50 {figures[50]:7.1f}  p95 {figures[95]:7.1f}  p99 {figures[99]:7.1f}  "
          f"max {figures[100]:7.1f} ms   {len(run.latencies_ms)} ok, failures: {failures}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--credentials", type=int, default=5000, help="generated published credentials")
    parser.add_argument("--saves", type=int, default=200, help="saves per phase")
    parser.add_argument("--interval", type=float, default=50, help="ms between saves (open loop)")
    parser.add_argument("--clients", type=int, default=32, help="client threads, so slow saves overlap")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()
    if args.credentials < 2 * args.saves + WARMUP:
        parser.error(f"--credentials must be at least 2 x --saves + {WARMUP}: every save edits its own credential")
    interval = args.interval / 1000
    ctx = mp.get_context("spawn")  # fresh interpreters: no SQLite connection or socket inherited
    with sandbox_catalog(credentials=args.credentials) as settings:
        token = editor_token(settings)
        pairs = published(settings)
        spread = pairs[:: len(pairs) // (2 * args.saves + WARMUP)]
        warmup, baseline_targets, relay_targets = (spread[:WARMUP], spread[WARMUP:WARMUP + args.saves],
                                                   spread[WARMUP + args.saves:WARMUP + 2 * args.saves])
        stop, done, batches = ctx.Event(), ctx.Value("q", 0), ctx.Value("q", 0)
        relays = []
        try:
            with serving(settings, "webapp.wsgi:app", "/healthz", args.workers, args.threads) as url:
                timed_saves(url, token, warmup, 0.1, 1)
                print(f"phase 1: {args.saves} saves, one every {args.interval:g} ms, relay idle")
                baseline = timed_saves(url, token, baseline_targets, interval, args.clients)
                print(f"phase 2: {len(pairs):,} outbox events queued, relay in {RELAYS} processes "
                      f"(re-queued whenever dry), the same {args.saves} saves")
                queue_all(settings, pairs)
                relays = [ctx.Process(target=relay_loop, args=(settings, w, pairs, stop, done, batches))
                          for w in range(RELAYS)]
                for proc in relays:
                    proc.start()
                while done.value == 0 and all(p.is_alive() for p in relays):
                    time.sleep(0.05)  # both relays booted and the first batch is in
                done_before, batches_before = done.value, batches.value
                busy = timed_saves(url, token, relay_targets, interval, args.clients)
                relayed, relay_batches = done.value - done_before, batches.value - batches_before
        finally:
            stop.set()
            for proc in relays:
                proc.join(timeout=60)
                if proc.is_alive():
                    proc.kill()
            from workers.app import queue_names

            queue = queue_names(settings.index_prefix)["relay"]
            redis.Redis.from_url(settings.redis_url).delete(queue, f"_kombu.binding.{queue}",
                                                            f"_kombu.binding_permanent.{queue}")
    print(f"\nsave latency, PATCH /api/v1/editor/credentials/<id> ({args.credentials:,} credentials, "
          f"gunicorn {args.workers}x{args.threads}, SQLite)")
    base = row("baseline (relay idle)", baseline)
    loaded = row(f"relay x{RELAYS} at full speed", busy)
    print(f"  relay/baseline: p50 x{loaded[50] / base[50]:.1f}, p95 x{loaded[95] / base[95]:.1f}")
    print(f"  relay during phase 2: {relayed / busy.seconds:,.0f} events/s confirmed in {relay_batches} batches "
          f"over {busy.seconds:.1f} s; worst start lag {baseline.lag_ms:.0f} ms idle, {busy.lag_ms:.0f} ms busy")


if __name__ == "__main__":
    main()
