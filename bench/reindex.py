"""Full reindex throughput and memory, against raw bulk of the same documents, in one run.

For each N it generates N realistic published credentials (bench/generate.py) in a fresh
database, then measures in separate child processes, so each peak RSS is its own:

- pipeline: `indexer.operations.reindex(settings, "credentials")`: database rows streamed in
  batches, documents built, bulk-loaded into a new index, alias swapped;
- raw: `helpers.bulk` of the same documents, prebuilt into a file beforehand, into a new index
  with the same mapping and loading settings;
- raw x2: the same with `helpers.parallel_bulk` on two threads, the stronger baseline, since the
  pipeline itself loads over two concurrent streams (indexer.lifecycle.BULK_STREAMS).

Targets: pipeline >= 0.6x raw, >= 2,000 documents/s at 100k, and peak memory flat as N grows.

After the pipeline it also prints what the new index costs the node: its size on disk per
primary shard and the JVM heap (docs/scaling.md sizes clusters from these figures).

    .venv/bin/python -m bench.reindex -n 10000 -n 100000
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import secrets
import tempfile
import time
from pathlib import Path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pipeline(settings, queue) -> None:
    from indexer import operations

    started = time.perf_counter()

    def progress(name: str, done: int, total: int | None) -> None:
        # A long run (1M) under load says how far it got, so a run cut short still yields a rate.
        if done and done % 50000 == 0:
            print(f"  ... {done:,} documents in {time.perf_counter() - started:,.0f} s", flush=True)

    counts = operations.reindex(settings, "credentials", progress)
    queue.put({"docs": counts["credentials"], "seconds": time.perf_counter() - started, "peak_mb": _peak_rss_mb()})


def _raw(settings, docs_path: str, threads: int, queue) -> None:
    from opensearchpy import helpers

    from indexer.client import bulk_client
    from indexer.lifecycle import create_index
    from indexer.registry import INDICES

    client = bulk_client(settings.opensearch_url)
    spec = INDICES["credentials"]
    name = create_index(client, spec, f"{settings.index_prefix}raw-", loading=True)

    def actions():
        with open(docs_path) as fh:
            for line in fh:
                action = json.loads(line)
                action["_index"] = name
                yield action

    started = time.perf_counter()
    if threads == 1:
        ok, _ = helpers.bulk(client, actions(), chunk_size=1000, max_chunk_bytes=20 * 1024 * 1024)
    else:
        ok = sum(1 for success, _ in helpers.parallel_bulk(client, actions(), thread_count=threads, chunk_size=1000,
                                                           max_chunk_bytes=20 * 1024 * 1024) if success)
    client.indices.put_settings(index=name, body={"index": {"refresh_interval": "1s"}})
    client.indices.refresh(index=name)
    seconds = time.perf_counter() - started
    client.indices.delete(index=name)
    queue.put({"docs": ok, "seconds": seconds, "peak_mb": _peak_rss_mb()})


def _index_footprint(settings) -> dict:
    """Size of the freshly rebuilt credentials index and the heap of the nodes that hold it."""
    from indexer.client import bulk_client
    from indexer.registry import INDICES

    client = bulk_client(settings.opensearch_url)
    alias = INDICES["credentials"].alias(settings.index_prefix)
    stats = client.indices.stats(index=alias, metric="store,docs,segments")["_all"]["primaries"]
    shards = int(next(iter(client.indices.get_settings(index=alias).values()))["settings"]["index"]["number_of_shards"])
    nodes = client.nodes.stats(metric="jvm")["nodes"].values()
    return {
        "primary_mb": stats["store"]["size_in_bytes"] / 2**20, "shards": shards,
        "segments_mb": stats["segments"]["memory_in_bytes"] / 2**20,
        "heap_max_mb": sum(n["jvm"]["mem"]["heap_max_in_bytes"] for n in nodes) / 2**20,
        "heap_used_mb": sum(n["jvm"]["mem"]["heap_used_in_bytes"] for n in nodes) / 2**20,
        "old_gen_peak_mb": sum(n["jvm"]["mem"]["pools"]["old"]["peak_used_in_bytes"] for n in nodes) / 2**20,
    }


def _in_child(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _prebuild(settings, path: Path) -> None:
    from indexer.sources import credential_actions
    from store.db import session_scope

    with session_scope(settings.database_url, write=False) as session, path.open("w") as fh:
        for action in credential_actions(session):
            fh.write(json.dumps(action, default=str) + "\n")


def prepare(n: int, workdir: Path, database_url: str | None):
    from bench.generate import generate_credentials
    from store.db import session_scope
    from store.migrate import upgrade
    from store.settings import Settings
    from catalog.taxonomy import import_bundled

    url = database_url or f"sqlite:///{workdir / f'bench-{n}.db'}"
    settings = Settings.from_env(database_url=url, index_prefix=f"bench-{secrets.token_hex(3)}-")
    upgrade(url)
    with session_scope(url) as session:
        import_bundled(session, ["soc-2018", "onet-soc", "naics-2022", "cip-2020", "skills"])
    generate_credentials(url, n)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, action="append", help="credential counts (default 10000 and 100000)")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
    parser.add_argument("--pipeline-only", action="store_true",
                        help="skip the raw baselines (for sizes where three more full loads do not fit the time)")
    args = parser.parse_args()
    sizes = args.n or [10000, 100000]
    from indexer.client import bulk_client
    from indexer.lifecycle import drop_all

    print(f"{'N':>8} {'pipeline docs/s':>16} {'raw docs/s':>11} {'ratio':>6} {'raw x2 docs/s':>14} {'ratio':>6} "
          f"{'pipeline peak MB':>17} {'raw peak MB':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            settings = prepare(n, Path(tmp), args.database_url)
            os.environ["INDEX_PREFIX"] = settings.index_prefix
            try:
                pipeline = _in_child(_pipeline, settings)
                footprint = _index_footprint(settings)
                if args.pipeline_only:
                    skipped = {"docs": float("nan"), "seconds": 1.0, "peak_mb": float("nan")}
                    raw = raw2 = skipped
                else:
                    docs_path = Path(tmp) / f"docs-{n}.jsonl"
                    _prebuild(settings, docs_path)
                    raw = _in_child(_raw, settings, str(docs_path), 1)
                    raw2 = _in_child(_raw, settings, str(docs_path), 2)
            finally:
                drop_all(bulk_client(settings.opensearch_url), settings.index_prefix)
            print(f"{'':>8} pipeline: {pipeline['docs']:,} documents in {pipeline['seconds']:,.0f} s", flush=True)
            p_rate = pipeline["docs"] / pipeline["seconds"]
            r_rate = raw["docs"] / raw["seconds"]
            r2_rate = raw2["docs"] / raw2["seconds"]
            print(f"{n:>8} {p_rate:>16,.0f} {r_rate:>11,.0f} {p_rate / r_rate:>6.2f} {r2_rate:>14,.0f} {p_rate / r2_rate:>6.2f} "
                  f"{pipeline['peak_mb']:>17,.0f} {raw['peak_mb']:>12,.0f}", flush=True)
            print(f"{'':>8} index: {footprint['primary_mb']:,.0f} MB on disk over {footprint['shards']} primary "
                  f"shard(s) ({footprint['primary_mb'] / footprint['shards']:,.0f} MB each), "
                  f"{footprint['primary_mb'] * 2**20 / n:,.0f} bytes/credential; node heap {footprint['heap_max_mb']:,.0f} MB max, "
                  f"old-gen peak {footprint['old_gen_peak_mb']:,.0f} MB, {footprint['heap_used_mb']:,.0f} MB used after the load",
                  flush=True)


if __name__ == "__main__":
    main()
