"""How often autocomplete puts the wanted concept on top: recall@1, recall@5 and MRR per query class.

Runs every query of bench/querysets/<vocabulary>.tsv (see make_querysets.py) through the real
autocomplete query and, on the same node in the same run, through a naive baseline: a
match_phrase_prefix on the label alone, which is what a first version of a typeahead usually is.
A query is answered at k when any of its expected codes is among the first k suggestions; MRR
uses the rank of the first expected code within the first 10 (0 when none is there).

    .venv/bin/python bench/relevance.py                  # builds its own indices, drops them after
    .venv/bin/python bench/relevance.py --prefix catalog-  # uses existing indices, builds nothing
    .venv/bin/python bench/relevance.py --misses 5       # also print a few failures per class

Targets (occupations): recall@5 >= 0.95 on exact alternate titles, >= 0.85 with one typo.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sandbox import sandbox_catalog  # noqa: E402

from indexer.autocomplete import build_autocomplete_query  # noqa: E402
from indexer.client import bulk_client  # noqa: E402
from indexer.registry import INDICES, VOCABULARIES  # noqa: E402

QUERYSETS = Path(__file__).resolve().parent / "querysets"
DEPTH = 10
BATCH = 100
TARGETS = {("occupations", "alt_exact"): 0.95, ("occupations", "alt_typo"): 0.85}


def baseline_query(text: str) -> dict:
    return {"size": DEPTH, "_source": ["code"], "query": {"match_phrase_prefix": {"label": {"query": text}}}}


def autocomplete_query(vocabulary: str):
    def build(text: str) -> dict:
        body = build_autocomplete_query(text, DEPTH, vocabulary)
        body.pop("highlight")  # ranking only; `matched` does not change the order
        return body
    return build


@dataclass
class Score:
    n: int = 0
    at1: int = 0
    at5: int = 0
    rr: float = 0.0
    misses: list = field(default_factory=list)

    def add(self, ranked: list[str], expected: set[str], query: str) -> None:
        self.n += 1
        rank = next((i for i, code in enumerate(ranked[:DEPTH], 1) if code in expected), None)
        if rank is not None:
            self.at1 += rank == 1
            self.at5 += rank <= 5
            self.rr += 1 / rank
        if rank is None or rank > 5:
            self.misses.append((query, sorted(expected)[:3], ranked[:5]))

    def row(self) -> tuple[float, float, float]:
        return (self.at1 / self.n, self.at5 / self.n, self.rr / self.n) if self.n else (0.0, 0.0, 0.0)


def read_queryset(path: Path) -> list[tuple[str, str, set[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["class"], r["query"], set(r["expected"].split("|")))
                for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]


def ranked_codes(client, index: str, texts: list[str], build) -> list[list[str]]:
    out = []
    for start in range(0, len(texts), BATCH):
        lines = []
        for text in texts[start:start + BATCH]:
            lines += [{"index": index}, build(text)]
        for resp in client.msearch(body=lines)["responses"]:
            if "error" in resp:
                raise RuntimeError(f"query failed: {resp['error']}")
            out.append([hit["_source"].get("code", hit["_id"]) for hit in resp["hits"]["hits"]])
    return out


def evaluate(client, prefix: str, vocabulary: str, rows) -> dict[str, dict[str, Score]]:
    index = INDICES[vocabulary].alias(prefix)
    texts = [query for _, query, _ in rows]
    results = {"autocomplete": ranked_codes(client, index, texts, autocomplete_query(vocabulary)),
               "baseline": ranked_codes(client, index, texts, baseline_query)}
    scores: dict[str, dict[str, Score]] = {name: defaultdict(Score) for name in results}
    for name, ranked in results.items():
        for (kind, query, expected), codes in zip(rows, ranked):
            scores[name][kind].add(codes, expected, query)
            scores[name]["all"].add(codes, expected, query)
    return scores


def report(vocabulary: str, scores: dict[str, dict[str, Score]], misses: int) -> None:
    print(f"\n{vocabulary}")
    print(f"  {'class':<16} {'n':>5}   {'R@1':>6} {'R@5':>6} {'MRR':>6}   {'base R@1':>8} {'R@5':>6} {'MRR':>6}")
    ours, base = scores["autocomplete"], scores["baseline"]
    for kind in [k for k in ours if k != "all"] + ["all"]:
        a1, a5, amrr = ours[kind].row()
        b1, b5, bmrr = base[kind].row()
        target = TARGETS.get((vocabulary, kind))
        mark = f"   target R@5 >= {target:.2f}: {'met' if a5 >= target else 'MISSED'}" if target else ""
        print(f"  {kind:<16} {ours[kind].n:>5}   {a1:6.3f} {a5:6.3f} {amrr:6.3f}   {b1:8.3f} {b5:6.3f} {bmrr:6.3f}{mark}")
    if misses:
        for kind, score in ours.items():
            if kind == "all":
                continue
            for query, expected, got in score.misses[:misses]:
                print(f"    miss {kind}: {query!r} expected {expected} got {got}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", help="use the existing indices under this INDEX_PREFIX instead of building some")
    parser.add_argument("--vocabulary", choices=VOCABULARIES, action="append", help="only these (repeatable)")
    parser.add_argument("--misses", type=int, default=0, help="print this many failures per class")
    args = parser.parse_args()
    with sandbox_catalog(args.prefix) as settings:
        client = bulk_client(settings.opensearch_url)
        started = time.monotonic()
        total = 0
        for vocabulary in args.vocabulary or VOCABULARIES:
            path = QUERYSETS / f"{vocabulary}.tsv"
            if not path.exists():
                print(f"{path} is missing; run bench/make_querysets.py")
                continue
            rows = read_queryset(path)
            total += len(rows)
            report(vocabulary, evaluate(client, settings.index_prefix, vocabulary, rows), args.misses)
        print(f"\n{total} queries x 2 systems in {time.monotonic() - started:.1f} s against {settings.opensearch_url}")


if __name__ == "__main__":
    main()
