"""CTDL export and import throughput, each beside a baseline measured in the same run.

    python -m bench.ctdl [-n 100000] [--import-n 2000] [--database-url URL]

Export: every published credential through catalog.ctdl.records.credential_records and
json.dumps, against the baseline of building their search documents (indexer.sources
.credential_actions) over the same rows: same reads, a different builder. Memory is the process's
resident size after 10% of the records and at the end: flat means the two are close.

Import: records exported above, given fresh CTIDs (as records from another registry would have),
imported into a new organization through catalog.ctdl.imports.run_import (the shared import
pipeline: mapping, batch validation and bulk writes), against the baseline of creating the same
credentials one at a time directly through the authoring service (create_credential and the
section saves an import makes, no mapping): the per-record path, not the bulk one.

Targets (issue 12): export at least 2,000 records/s with flat memory, import at least 300 records/s.
"""
from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
import uuid
from pathlib import Path


def rss_mb() -> float:
    """Resident set size now, from /proc (ru_maxrss is only the peak)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1048576


def prepare(n: int, workdir: Path, database_url: str | None) -> str:
    from bench.generate import generate_credentials
    from catalog.taxonomy import import_bundled
    from store.db import session_scope
    from store.migrate import upgrade

    url = database_url or f"sqlite:///{workdir / f'bench-ctdl-{n}.db'}"
    upgrade(url)
    with session_scope(url) as session:
        import_bundled(session, ["soc-2018", "onet-soc", "naics-2022", "cip-2020", "skills"])
    generate_credentials(url, n)
    return url


def export_run(url: str, base: str, keep: int) -> dict:
    from catalog.ctdl.records import count_published, credential_records
    from store.db import get_sessionmaker

    kept, count, early_rss = [], 0, None
    with get_sessionmaker(url, write=False)() as session:
        total = count_published(session)
        start = time.perf_counter()
        for record in credential_records(session, base):
            json.dumps(record)
            count += 1
            if len(kept) < keep:
                kept.append(record)
            if count == max(1, total // 10):
                early_rss = rss_mb()
        seconds = time.perf_counter() - start
    return {"records": count, "seconds": seconds, "rss_early": early_rss, "rss_end": rss_mb(), "kept": kept}


def baseline_documents(url: str) -> dict:
    from indexer.sources import credential_actions
    from store.db import get_sessionmaker

    count = 0
    with get_sessionmaker(url, write=False)() as session:
        start = time.perf_counter()
        for action in credential_actions(session):
            json.dumps(action["_source"])
            count += 1
        seconds = time.perf_counter() - start
    return {"records": count, "seconds": seconds}


def fresh(records: list[dict], base: str) -> list[dict]:
    out = []
    for record in records:
        ctid = f"ce-{uuid.uuid4()}"
        copy = json.loads(json.dumps(record))
        copy["@graph"][0]["ceterms:ctid"] = ctid
        copy["@graph"][0]["@id"] = base + ctid
        out.append(copy)
    return out


def import_run(url: str, records: list[dict]) -> dict:
    from catalog.accounts import service as accounts
    from catalog.ctdl.imports import run_import
    from catalog.ctdl.sources import split_document
    from store.db import session_scope
    from store.models import Organization

    incoming = [item for i, r in enumerate(records) for item in split_document(r, f"record {i}")]
    with session_scope(url) as s:
        org_id = accounts.create_org(s, f"Bench CTDL import {uuid.uuid4().hex[:6]}", ["issuer"]).id
    start = time.perf_counter()
    with session_scope(url) as s:
        report = run_import(s, s.get(Organization, org_id), incoming)
    seconds = time.perf_counter() - start
    return {"records": len(incoming), "seconds": seconds, "summary": report["summary"]}


def baseline_authoring(url: str, records: list[dict]) -> dict:
    """The same credentials through the authoring service directly: what import costs beyond it."""
    from catalog.accounts import service as accounts
    from catalog.authoring import service
    from catalog.ctdl.reading import read_details
    from store.db import session_scope

    payloads = []
    for r in records:
        node = r["@graph"][0]
        details = read_details(node)
        details["cip_codes"] = [a["ceterms:codedNotation"] for a in node.get("ceterms:instructionalProgramType", [])]
        payloads.append((details, [a["ceterms:codedNotation"] for a in node.get("ceterms:occupationType", [])],
                         [a["ceterms:codedNotation"] for a in node.get("ceterms:industryType", [])]))
    with session_scope(url) as s:
        org_id = accounts.create_org(s, f"Bench authoring {uuid.uuid4().hex[:6]}", ["issuer"]).id
    start = time.perf_counter()
    with session_scope(url) as s:
        for details, occupations, sectors in payloads:
            credential = service.create_credential(s, None, org_id, details)
            service.save_section(s, None, credential, "occupations", occupations)
            service.save_section(s, None, credential, "sectors", sectors)
    return {"records": len(payloads), "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100000, help="published credentials to export (default 100000)")
    parser.add_argument("--import-n", type=int, default=2000, help="records to import (default 2000)")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
    args = parser.parse_args()
    base = "https://credentialengineregistry.org/resources/"
    with tempfile.TemporaryDirectory() as tmp:
        url = prepare(args.n, Path(tmp), args.database_url)
        exported = export_run(url, base, args.import_n)
        documents = baseline_documents(url)
        rate, doc_rate = exported["records"] / exported["seconds"], documents["records"] / documents["seconds"]
        print(f"export   {exported['records']:>8} records  {rate:>8,.0f} records/s   "
              f"baseline (search documents) {doc_rate:>8,.0f} docs/s   ratio {rate / doc_rate:.2f}   "
              f"RSS after 10% {exported['rss_early']:.0f} MB, at the end {exported['rss_end']:.0f} MB", flush=True)
        records = fresh(exported["kept"], base)
        imported = import_run(url, records)
        authored = baseline_authoring(url, fresh(exported["kept"], base))
        i_rate, a_rate = imported["records"] / imported["seconds"], authored["records"] / authored["seconds"]
        print(f"import   {imported['records']:>8} records  {i_rate:>8,.0f} records/s   "
              f"baseline (authoring service) {a_rate:>7,.0f} creds/s   ratio {i_rate / a_rate:.2f}   "
              f"{imported['summary']}", flush=True)


if __name__ == "__main__":
    main()
