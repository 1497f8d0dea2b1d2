"""Spreadsheet import throughput (rows/s) and peak memory, at several sizes, on a fresh SQLite catalog.

Builds a throwaway database (migrations + bundled taxonomies) in a temporary directory, writes a
CSV of N rows made from the real Texas ETPL cut in tests/data (Program ID and name made unique
per copy, so every row creates a credential), and imports it as `catalog import table` does:
through catalog.imports.spreadsheet.import_table, so every row goes through the authoring
service's rules (revisions, history, outbox), validated and written a batch of 200 at a time
(catalog.authoring.bulk).

Measured in the same run:
1. baseline: read + map + normalise only (tables.py, normalise.py), no database: the ceiling;
2. the per-record path (ImportOptions(bulk=False): every row through the ordinary service calls
   in a savepoint of its own, as imports worked before the bulk path), at the dry-run size;
3. a dry run, then the import at each size, each in a fresh (spawned) process. Memory, two ways:
   - RSS sampled every batch: "flat" means the RSS after the first 1,000 rows is about the peak,
     and the peak at 100k about the peak at 10k (the last line prints the ratio);
   - Python objects still allocated (sys.getallocatedblocks, after a collection) after the first
     1,000 rows and at the end, per row in between: the precise figure, since RSS only grows
     once the holes left by start-up (loading the taxonomies, ...) are filled, and so hides the
     first tens of MB of growth. A per-row report item or lookup key costs a few blocks a row.
   The rate after the first 1,000 rows against the overall rate shows whether throughput falls
   as the file grows. (ru_maxrss, printed before, was mostly the parent's peak from building the
   catalog, which a forked child inherited.)

    .venv/bin/python -m bench.import_table                    # 10000 and 100000 rows
    .venv/bin/python -m bench.import_table --rows 2000 10000  # on a loaded machine
    .venv/bin/python -m bench.import_table --reimport         # and the 100k file again, all unchanged

Target (issue 13): >= 500 rows/s with flat memory.
"""
from __future__ import annotations

import argparse
import csv
import gc
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "texas_twc_etpl_200.csv"


def write_rows(path: Path, rows: int) -> None:
    with open(SAMPLE, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        sample = list(reader)
    pid, name = header.index("Program ID"), header.index("Program Name")
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for i in range(rows):
            row = list(sample[i % len(sample)])
            row[pid] = f"{row[pid]}-{i}"
            row[name] = f"{row[name]} ({i // len(sample) + 1})"
            writer.writerow(row)


def prepare_database(directory: Path) -> str:
    from catalog.taxonomy import import_bundled
    from store.db import session_scope
    from store.migrate import upgrade

    url = f"sqlite:///{directory / 'bench.db'}"
    upgrade(url)
    with session_scope(url) as session:
        import_bundled(session)
    return url


def baseline(path: Path) -> float:
    """Rows/s for read + map + normalise alone."""
    from catalog.imports.codes import CodeBook
    from catalog.imports.normalise import build_draft
    from catalog.imports.spreadsheet import prepare
    from catalog.imports.tables import CLI_LIMITS, table_records

    table, mapping = prepare(path, limits=CLI_LIMITS)
    book = CodeBook()
    start, count = time.perf_counter(), 0
    for record in table_records(table, mapping):
        build_draft(record, book)
        count += 1
    return count / (time.perf_counter() - start)


def rss_mb() -> float:
    """The process's resident set now (Linux), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


EARLY_ROWS = 1000


def _import(url: str, path: str, dry_run: bool, out, bulk: bool = True, org_id: int | None = None) -> None:
    from catalog.imports.pipeline import ImportOptions
    from catalog.imports.spreadsheet import import_table
    from catalog.imports.tables import CLI_LIMITS
    from store.db import get_sessionmaker, session_scope
    from store.models import Organization

    if org_id is None:
        with session_scope(url) as session:
            org = Organization(name=f"Bench Agency {time.time_ns()}", kinds=["issuer"])
            session.add(org)
            session.flush()
            org_id = org.id
    session = get_sessionmaker(url)()
    memory = {"start": rss_mb(), "early": None, "peak": 0.0, "early_at": None}

    def progress(done: int, total: int) -> None:
        if done % 200 == 0 or done == total:  # once a batch
            memory["peak"] = max(memory["peak"], rss_mb())
            if memory["early"] is None and done >= min(EARLY_ROWS, total):
                gc.collect()
                memory["early_blocks"] = sys.getallocatedblocks()
                memory["early"], memory["early_at"] = rss_mb(), (done, time.perf_counter())
            if done == total:  # at the same point of a batch as the early count: same transient objects
                gc.collect()
                memory["late_blocks"] = sys.getallocatedblocks()

    start, cpu = time.perf_counter(), time.process_time()
    report = import_table(session, org_id, path, ImportOptions(dry_run=dry_run, create_providers=True, bulk=bulk),
                          limits=CLI_LIMITS, progress=progress)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    memory["peak"] = max(memory["peak"], rss_mb())  # with the report written out below
    summary = dict(report["summary"])
    with open(os.devnull, "w") as sink:  # what --report FILE.json does; its memory counts too
        if hasattr(report, "write_json"):
            report.write_json(sink)
            report.close()
        else:  # a plain dict report (the code before catalog.imports.report), for comparison runs
            json.dump(report, sink, indent=1, ensure_ascii=False)
    memory["peak"] = max(memory["peak"], rss_mb())
    session.close()
    early_done, early_time = memory["early_at"]
    total_rows = sum(summary.values())
    late_rows = total_rows - early_done
    out.send({"seconds": elapsed, "cpu_seconds": cpu, "summary": summary, "org_id": org_id, "start_mb": memory["start"],
              "blocks_per_row": (memory["late_blocks"] - memory["early_blocks"]) / late_rows if late_rows else 0.0,
              "early_mb": memory["early"], "rss_peak_mb": memory["peak"],
              "late_rate": late_rows / (start + elapsed - early_time) if late_rows else total_rows / elapsed})


def measure(url: str, path: Path, dry_run: bool = False, bulk: bool = True, org_id: int | None = None) -> dict:
    receive, send = mp.Pipe(duplex=False)
    # Spawned, not forked: a fresh interpreter whose memory is the import's own.
    process = mp.get_context("spawn").Process(target=_import, args=(url, str(path), dry_run, send, bulk, org_id))
    process.start()
    result = receive.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--dry-run-rows", type=int, default=2000, help="size of the dry run measured")
    parser.add_argument("--reimport", action="store_true",
                        help="then import the largest file again into the same organization (every row unchanged)")
    args = parser.parse_args()
    os.environ.setdefault("CATALOG_ENV", "test")
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        directory = Path(tmp)
        print("preparing a fresh SQLite catalog with the bundled taxonomies ...", flush=True)
        url = prepare_database(directory)
        files = {}
        for n in args.rows:
            files[n] = directory / f"rows-{n}.csv"
            write_rows(files[n], n)
        dry_file = directory / "dry-run.csv"
        write_rows(dry_file, args.dry_run_rows)
        print(f"baseline (read + map + normalise, no database), {args.dry_run_rows} rows: "
              f"{baseline(dry_file):,.0f} rows/s", flush=True)
        single = measure(url, dry_file, bulk=False)
        single_rate = args.dry_run_rows / single["seconds"]
        print(f"per-record path (reference), {args.dry_run_rows} rows: {single_rate:,.0f} rows/s, "
              f"peak RSS {single['rss_peak_mb']:.0f} MB", flush=True)
        dry = measure(url, dry_file, dry_run=True)
        print(f"dry run, {args.dry_run_rows} rows: {args.dry_run_rows / dry['seconds']:,.0f} rows/s, "
              f"peak RSS {dry['rss_peak_mb']:.0f} MB", flush=True)
        results = {}
        for n in args.rows:
            results[n] = result = measure(url, files[n])
            print(f"import, {n} rows: {n / result['seconds']:,.0f} rows/s ({result['seconds']:.0f} s, "
                  f"{n / result['seconds'] / single_rate:.1f}x the per-record path; after the first "
                  f"{EARLY_ROWS:,} rows {result['late_rate']:,.0f} rows/s; per CPU second "
                  f"{n / result['cpu_seconds']:,.0f} rows/s), RSS at the start "
                  f"{result['start_mb']:.0f} MB, after {EARLY_ROWS:,} rows {result['early_mb']:.0f} MB, "
                  f"peak {result['rss_peak_mb']:.0f} MB (grew {result['rss_peak_mb'] - result['early_mb']:+.1f} MB "
                  f"during the run; Python blocks kept {result['blocks_per_row']:+.2f} a row), {result['summary']}",
                  flush=True)
        small, large = min(results), max(results)
        if large > small:
            a, b = results[small], results[large]
            print(f"flat memory: peak RSS {large}/{small} rows = {b['rss_peak_mb']:.0f}/{a['rss_peak_mb']:.0f} MB "
                  f"= {b['rss_peak_mb'] / a['rss_peak_mb']:.2f}; growth during the run {large} rows "
                  f"{b['rss_peak_mb'] - b['early_mb']:+.1f} MB, {small} rows {a['rss_peak_mb'] - a['early_mb']:+.1f} MB; "
                  f"Python blocks kept a row {b['blocks_per_row']:+.2f} and {a['blocks_per_row']:+.2f}; "
                  f"throughput {large}/{small} rows = {large / b['seconds']:,.0f}/{small / a['seconds']:,.0f} rows/s "
                  f"= {(large / b['seconds']) / (small / a['seconds']):.2f}")
        if args.reimport:
            result = measure(url, files[large], org_id=results[large]["org_id"])
            print(f"re-import, {large} rows: {large / result['seconds']:,.0f} rows/s (per CPU second "
                  f"{large / result['cpu_seconds']:,.0f}), RSS after {EARLY_ROWS:,} rows {result['early_mb']:.0f} MB, "
                  f"peak {result['rss_peak_mb']:.0f} MB (grew {result['rss_peak_mb'] - result['early_mb']:+.1f} MB; "
                  f"Python blocks kept {result['blocks_per_row']:+.2f} a row), {result['summary']}", flush=True)
        print("target: >= 500 rows/s, peak RSS flat across sizes")


if __name__ == "__main__":
    main()
