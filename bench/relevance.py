"""How often autocomplete puts the wanted concept on top: recall@1, recall@5 and MRR per query class.

Runs every query of bench/querysets/<vocabulary>.tsv (see make_querysets.py) through the real
autocomplete query and, on the same node in the same run, through a naive baseline: a
match_phrase_prefix on the label alone, which is what a first version of a typeahead usually is.
A query is answered at k when any of its expected codes is among the first k suggestions; MRR
uses the rank of the first expected code within the first 10 (0 when none is there).

    .venv/bin/python bench/relevance.py                  # builds its own indices, drops them after
    .venv/bin/python bench/relevance.py --prefix catalog-  # uses existing indices, builds nothing
    .venv/bin/python bench/relevance.py --misses 5       # also print a few failures per class

For skills a third system runs in the same run: the previous skills vocabulary (O*NET skills and
technology names, before ESCO) in the previous mapping, searched with the previous query. It is
built from `store.taxonomy_sources.read_skills` into `<prefix>skills-previous` and dropped after.
Each system also reports its zero-result rate (the share of queries with no suggestion at all).

Targets (occupations): recall@5 >= 0.95 on exact alternate titles, >= 0.85 with one typo.
Targets (skills): recall@5 >= 0.90 and zero results <= 2% on the everyday phrases.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sandbox import sandbox_catalog  # noqa: E402

from indexer.autocomplete import build_autocomplete_query  # noqa: E402
from indexer.client import bulk_client  # noqa: E402
from indexer.registry import INDICES, VOCABULARIES  # noqa: E402

QUERYSETS = Path(__file__).resolve().parent / "querysets"
DEPTH = 10
BATCH = 100
TARGETS = {("occupations", "alt_exact"): 0.95, ("occupations", "alt_typo"): 0.85, ("skills", "everyday"): 0.90}
MAX_ZERO = {("skills", "everyday"): 0.02}
PREVIOUS_MAPPING = ROOT / "mappings" / "vocabulary" / "vocabulary-v1.json"


def baseline_query(text: str) -> dict:
    return {"size": DEPTH, "_source": ["code"], "query": {"match_phrase_prefix": {"label": {"query": text}}}}


def autocomplete_query(vocabulary: str):
    def build(text: str) -> dict:
        body = build_autocomplete_query(text, DEPTH, vocabulary)
        body.pop("highlight", None)  # ranking only; `matched` does not change the order
        return body
    return build


@dataclass
class Score:
    n: int = 0
    at1: int = 0
    at5: int = 0
    rr: float = 0.0
    zero: int = 0
    misses: list = field(default_factory=list)

    def add(self, ranked: list[str], expected: set[str], query: str) -> None:
        self.n += 1
        self.zero += not ranked
        rank = next((i for i, code in enumerate(ranked[:DEPTH], 1) if code in expected), None)
        if rank is not None:
            self.at1 += rank == 1
            self.at5 += rank <= 5
            self.rr += 1 / rank
        if rank is None or rank > 5:
            self.misses.append((query, sorted(expected)[:3], ranked[:5]))

    def row(self) -> tuple[float, float, float, float]:
        if not self.n:
            return (0.0, 0.0, 0.0, 0.0)
        return (self.at1 / self.n, self.at5 / self.n, self.rr / self.n, self.zero / self.n)


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


def build_previous_skills(client, prefix: str) -> str:
    """The skills vocabulary as it was before ESCO, in the mapping it had, under `<prefix>skills-previous`."""
    from opensearchpy import helpers

    from indexer.documents import build_concept_document
    from store.taxonomy_sources import read_skills

    index = f"{prefix}skills-previous"
    body = json.loads(PREVIOUS_MAPPING.read_text())
    fields = set(body["mappings"]["properties"])
    client.indices.create(index=index, body=body)
    actions = []
    for row in read_skills():
        concept = SimpleNamespace(code=row.code, label=row.label, alt_labels=row.alt_labels,
                                  description=row.description, broader=row.broader, links=row.links)
        doc = build_concept_document(concept, "skills")
        actions.append({"_index": index, "_id": row.code, "_source": {k: v for k, v in doc.items() if k in fields}})
    helpers.bulk(client, actions, chunk_size=1000)
    client.indices.refresh(index=index)
    return index


def evaluate(client, prefix: str, vocabulary: str, rows) -> dict[str, dict[str, Score]]:
    index = INDICES[vocabulary].alias(prefix)
    texts = [query for _, query, _ in rows]
    results = {"autocomplete": ranked_codes(client, index, texts, autocomplete_query(vocabulary)),
               "baseline": ranked_codes(client, index, texts, baseline_query)}
    if vocabulary == "skills":
        previous = build_previous_skills(client, prefix)
        try:
            # The previous skills query was the one occupations still use.
            results["previous"] = ranked_codes(client, previous, texts, autocomplete_query("occupations"))
        finally:
            client.indices.delete(index=previous)
    scores: dict[str, dict[str, Score]] = {name: defaultdict(Score) for name in results}
    for name, ranked in results.items():
        for (kind, query, expected), codes in zip(rows, ranked):
            scores[name][kind].add(codes, expected, query)
            scores[name]["all"].add(codes, expected, query)
    return scores


def report(vocabulary: str, scores: dict[str, dict[str, Score]], misses: int) -> None:
    print(f"\n{vocabulary}")
    systems = [name for name in ("autocomplete", "baseline", "previous") if name in scores]
    print(f"  {'class':<16} {'n':>5}" + "".join(f"   {name[:8] + ' R@1':>13} {'R@5':>6} {'MRR':>6} {'zero':>6}"
                                                  for name in systems))
    ours = scores["autocomplete"]
    for kind in [k for k in ours if k != "all"] + ["all"]:
        line = f"  {kind:<16} {ours[kind].n:>5}"
        for name in systems:
            r1, r5, mrr, zero = scores[name][kind].row()
            line += f"   {r1:13.3f} {r5:6.3f} {mrr:6.3f} {zero:6.1%}"
        a5, zero = ours[kind].row()[1], ours[kind].row()[3]
        target, max_zero = TARGETS.get((vocabulary, kind)), MAX_ZERO.get((vocabulary, kind))
        if target:
            line += f"   target R@5 >= {target:.2f}: {'met' if a5 >= target else 'MISSED'}"
        if max_zero is not None:
            line += f"; zero <= {max_zero:.0%}: {'met' if zero <= max_zero else 'MISSED'}"
        print(line)
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
