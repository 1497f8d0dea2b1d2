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
3. a dry run, then the import at each size, each in its own process so peak RSS (ru_maxrss)
   belongs to that size; flat memory means the peak barely grows with N.

    .venv/bin/python -m bench.import_table                    # 10000 and 100000 rows
    .venv/bin/python -m bench.import_table --rows 2000 10000  # on a loaded machine

Target (issue 13): >= 500 rows/s with flat memory.
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import os
import resource
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


def _import(url: str, path: str, dry_run: bool, out, bulk: bool = True) -> None:
    from catalog.imports.pipeline import ImportOptions
    from catalog.imports.spreadsheet import import_table
    from catalog.imports.tables import CLI_LIMITS
    from store.db import get_sessionmaker, session_scope
    from store.models import Organization

    with session_scope(url) as session:
        org = Organization(name=f"Bench Agency {time.time_ns()}", kinds=["issuer"])
        session.add(org)
        session.flush()
        org_id = org.id
    session = get_sessionmaker(url)()
    start = time.perf_counter()
    report = import_table(session, org_id, path, ImportOptions(dry_run=dry_run, create_providers=True, bulk=bulk),
                          limits=CLI_LIMITS)
    elapsed = time.perf_counter() - start
    session.close()
    out.send({"seconds": elapsed, "summary": report["summary"],
              "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def measure(url: str, path: Path, dry_run: bool = False, bulk: bool = True) -> dict:
    receive, send = mp.Pipe(duplex=False)
    process = mp.get_context("fork").Process(target=_import, args=(url, str(path), dry_run, send, bulk))
    process.start()
    result = receive.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--dry-run-rows", type=int, default=2000, help="size of the dry run measured")
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
              f"peak RSS {single['peak_mb']:.0f} MB", flush=True)
        dry = measure(url, dry_file, dry_run=True)
        print(f"dry run, {args.dry_run_rows} rows: {args.dry_run_rows / dry['seconds']:,.0f} rows/s, "
              f"peak RSS {dry['peak_mb']:.0f} MB", flush=True)
        for n in args.rows:
            result = measure(url, files[n])
            print(f"import, {n} rows: {n / result['seconds']:,.0f} rows/s ({result['seconds']:.0f} s, "
                  f"{n / result['seconds'] / single_rate:.1f}x the per-record path), "
                  f"peak RSS {result['peak_mb']:.0f} MB, {result['summary']}", flush=True)
        print("target: >= 500 rows/s, peak RSS flat across sizes")


if __name__ == "__main__":
    main()
