"""How often autocomplete puts the wanted concept on top: recall@1, recall@5 and MRR per query class.

Runs every query of bench/querysets/<vocabulary>.tsv (hand-typed, see make_querysets.py) and
<vocabulary>_realnames.tsv (names as agencies publish them, see make_realname_querysets.py) through
the real autocomplete (indexer.autocomplete.suggest: strict tiers, and the relaxed ones only when
the strict ones do not fill the page) and, on the same node in the same run, through two baselines:
`today`, the algorithm before the relaxed tiers (bench/previous_autocomplete.py, strict tiers only),
and `naive`, a match_phrase_prefix on the label alone, what a first typeahead usually is.
A query is answered at k when any of its expected codes is among the first k suggestions; MRR
uses the rank of the first expected code within the first 10 (0 when none is there). For
programmes, `series@5` counts a query answered when one of the first five is in an expected
4-digit CIP series (51.39xx for 51.3902). `relaxed` is the share of queries whose page the relaxed
tiers had to fill (a second request); the rest were answered by the strict tiers alone.

    .venv/bin/python bench/relevance.py                  # builds its own indices, drops them after
    .venv/bin/python bench/relevance.py --prefix catalog-  # uses existing indices, builds nothing
    .venv/bin/python bench/relevance.py --misses 5       # also print a few failures per class

For skills a third system runs in the same run: the previous skills vocabulary (O*NET skills and
technology names, before ESCO) in the previous mapping, searched with the previous query. It is
built from `store.taxonomy_sources.read_skills` into `<prefix>skills-previous` and dropped after.
Each system also reports its zero-result rate (the share of queries with no suggestion at all).

Targets (occupations): recall@5 >= 0.95 on exact alternate titles, >= 0.85 with one typo; on the
RAPIDS titles (official upper-case titles with qualifiers, our stand-in for licence titles)
recall@5 >= 0.80 and zero results <= 2%.
Targets (programmes): on real programme names zero results <= 5% and series@5 >= 0.60.
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

from bench import previous_autocomplete  # noqa: E402
from bench.sandbox import sandbox_catalog  # noqa: E402

from indexer.autocomplete import TARGETS as PROFILES  # noqa: E402
from indexer.autocomplete import (  # noqa: E402
    MAX_TEXT,
    build_autocomplete_query,
    is_searchable,
    needs_second_step,
    wants_typos,
    wants_weights,
)
from indexer import word_statistics  # noqa: E402
from indexer.client import bulk_client  # noqa: E402
from indexer.registry import INDICES, VOCABULARIES  # noqa: E402

QUERYSETS = Path(__file__).resolve().parent / "querysets"
DEPTH = 10
BATCH = 100
TARGETS = {("occupations", "alt_exact"): 0.95, ("occupations", "alt_typo"): 0.85, ("skills", "everyday"): 0.90,
           ("occupations", "rapids_title"): 0.80}
MAX_ZERO = {("skills", "everyday"): 0.02, ("occupations", "rapids_title"): 0.02, ("programs", "etpl_program"): 0.05}
SERIES_TARGETS = {("programs", "etpl_program"): 0.60}
PREVIOUS_MAPPING = ROOT / "mappings" / "vocabulary" / "vocabulary-v1.json"


def naive_query(text: str) -> dict:
    return {"size": DEPTH, "_source": ["code"], "query": {"match_phrase_prefix": {"label": {"query": text}}}}


def today_query(vocabulary: str):
    def build(text: str) -> dict:
        body = previous_autocomplete.build_autocomplete_query(text, DEPTH, vocabulary)
        body.pop("highlight", None)  # ranking only; `matched` does not change the order
        return body
    return build


def series(code: str) -> str:
    """The 4-digit CIP series of a 6-digit code (51.3902 -> 51.39); other codes stay as they are."""
    return code[:5] if len(code) == 7 and code[2] == "." else code


@dataclass
class Score:
    n: int = 0
    at1: int = 0
    at5: int = 0
    series5: int = 0
    rr: float = 0.0
    zero: int = 0
    relaxed: int = 0
    misses: list = field(default_factory=list)

    def add(self, ranked: list[str], expected: set[str], query: str, relaxed: bool = False) -> None:
        self.n += 1
        self.zero += not ranked
        self.relaxed += relaxed
        rank = next((i for i, code in enumerate(ranked[:DEPTH], 1) if code in expected), None)
        if rank is not None:
            self.at1 += rank == 1
            self.at5 += rank <= 5
            self.rr += 1 / rank
        wanted = {series(code) for code in expected}
        self.series5 += any(series(code) in wanted for code in ranked[:5])
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


def first_per_class(rows: list, n: int) -> list:
    taken: dict[str, int] = defaultdict(int)
    out = []
    for row in rows:
        if taken[row[0]] < n:
            taken[row[0]] += 1
            out.append(row)
    return out


def ranked_codes(client, index: str, texts: list[str], build) -> list[list[str]]:
    # Highlights only say which title matched; they do not change the order.
    return ranked_bodies(client, index, [{k: v for k, v in build(text).items() if k != "highlight"}
                                         for text in texts])


def suggested_codes(client, prefix: str, vocabulary: str, texts: list[str]) -> tuple[list[list[str]], list[bool]]:
    """What indexer.autocomplete.suggest answers, batched: the strict step for every text in
    msearch batches, then, for the texts whose page it left short (needs_second_step), the word
    weights (indexer.word_statistics, as suggest() has them) and the relaxed step. Returns the
    ranked codes and, per text, whether the relaxed step ran."""
    index = INDICES[vocabulary].alias(prefix)
    profile = PROFILES[vocabulary]
    strict = ranked_codes(client, index, texts, lambda text: build_autocomplete_query(text, DEPTH, vocabulary))
    # At offset 0 the page is short exactly when the strict total is below the page size.
    second = [i for i, codes in enumerate(strict) if needs_second_step(profile, len(codes), DEPTH)
              and is_searchable(texts[i])]
    weights: dict[int, list] = {}
    weighed = [i for i in second if wants_weights(profile, texts[i].strip()[:MAX_TEXT], len(strict[i]))]
    if weighed:
        # The same statistics suggest() uses: read once for the index, words it lacks asked once.
        word_statistics.statistics(client, index, wait=True)
        for i in weighed:
            weights[i] = word_statistics.word_weights(client, index, texts[i].strip()[:MAX_TEXT],
                                                      head_factor=profile.head_factor)
    bodies = {i: build_autocomplete_query(texts[i], DEPTH, vocabulary, relaxed=True, weights=weights.get(i),
                                          typos=wants_typos(client, index, texts[i].strip()[:MAX_TEXT], len(strict[i])))
              for i in second}
    relaxed_codes = ranked_bodies(client, index, [bodies[i] for i in second])
    ranked = list(strict)
    for i, codes in zip(second, relaxed_codes):
        ranked[i] = codes
    return ranked, [i in bodies for i in range(len(texts))]


def ranked_bodies(client, index: str, bodies: list[dict]) -> list[list[str]]:
    out = []
    for start in range(0, len(bodies), BATCH):
        lines = []
        for body in bodies[start:start + BATCH]:
            lines += [{"index": index}, {**body, "_source": ["code"]}]
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
    ours, relaxed = suggested_codes(client, prefix, vocabulary, texts)
    results = {"autocomplete": ours,
               "today": ranked_codes(client, index, texts, today_query(vocabulary)),
               "naive": ranked_codes(client, index, texts, naive_query)}
    if vocabulary == "skills":
        previous = build_previous_skills(client, prefix)
        try:
            # The previous skills query was the one occupations still use.
            results["previous"] = ranked_codes(client, previous, texts, today_query("occupations"))
        finally:
            client.indices.delete(index=previous)
    scores: dict[str, dict[str, Score]] = {name: defaultdict(Score) for name in results}
    for name, ranked in results.items():
        for (kind, query, expected), codes, was_relaxed in zip(rows, ranked, relaxed):
            flag = was_relaxed and name == "autocomplete"
            scores[name][kind].add(codes, expected, query, flag)
            scores[name]["all"].add(codes, expected, query, flag)
    return scores


SYSTEMS = ("autocomplete", "today", "naive", "previous")


def report(vocabulary: str, scores: dict[str, dict[str, Score]], misses: int, title: str = "") -> None:
    print(f"\n{title or vocabulary}")
    systems = [name for name in SYSTEMS if name in scores]
    with_series = vocabulary == "programs"
    print(f"  {'class':<16} {'n':>5} {'relaxed':>7}" + "".join(
        f"   {name[:8] + ' R@1':>13} {'R@5':>6} {'MRR':>6} {'zero':>6}" + (f" {'ser@5':>6}" if with_series else "")
        for name in systems))
    ours = scores["autocomplete"]
    for kind in [k for k in ours if k != "all"] + ["all"]:
        line = f"  {kind:<16} {ours[kind].n:>5} {ours[kind].relaxed / max(ours[kind].n, 1):7.1%}"
        for name in systems:
            score = scores[name][kind]
            r1, r5, mrr, zero = score.row()
            line += f"   {r1:13.3f} {r5:6.3f} {mrr:6.3f} {zero:6.1%}"
            if with_series:
                line += f" {score.series5 / max(score.n, 1):6.3f}"
        a5, zero = ours[kind].row()[1], ours[kind].row()[3]
        target, max_zero = TARGETS.get((vocabulary, kind)), MAX_ZERO.get((vocabulary, kind))
        series_target = SERIES_TARGETS.get((vocabulary, kind))
        notes = []
        if target:
            notes.append(f"R@5 >= {target:.2f}: {'met' if a5 >= target else 'MISSED'}")
        if max_zero is not None:
            notes.append(f"zero <= {max_zero:.0%}: {'met' if zero <= max_zero else 'MISSED'}")
        if series_target:
            s5 = ours[kind].series5 / max(ours[kind].n, 1)
            notes.append(f"ser@5 >= {series_target:.2f}: {'met' if s5 >= series_target else 'MISSED'}")
        print(line + (f"   target {'; '.join(notes)}" if notes else ""))
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
    parser.add_argument("--sets", choices=("all", "handtyped", "realnames"), default="all",
                        help="which query sets (default: both)")
    parser.add_argument("--without-credential-names", action="store_true",
                        help="build the sandbox without the credential names derived from the Texas ETPL, which "
                             "the etpl_* query classes also come from (an in-sample check otherwise)")
    parser.add_argument("--per-class", type=int, default=0,
                        help="only the first N queries of each class (default: all); a quicker run on a busy node")
    args = parser.parse_args()
    with sandbox_catalog(args.prefix, credential_names=not args.without_credential_names) as settings:
        client = bulk_client(settings.opensearch_url)
        started = time.monotonic()
        total = 0
        for vocabulary in args.vocabulary or VOCABULARIES:
            names = {"handtyped": [f"{vocabulary}.tsv"], "realnames": [f"{vocabulary}_realnames.tsv"]}
            for name in names.get(args.sets, names["handtyped"] + names["realnames"]):
                path = QUERYSETS / name
                if not path.exists():
                    if "_realnames" not in name:
                        print(f"{path} is missing; run bench/make_querysets.py")
                    continue
                rows = read_queryset(path)
                if args.per_class:
                    rows = first_per_class(rows, args.per_class)
                total += len(rows)
                report(vocabulary, evaluate(client, settings.index_prefix, vocabulary, rows), args.misses,
                       f"{vocabulary} ({name})")
        print(f"\n{total} queries x 3 systems in {time.monotonic() - started:.1f} s against {settings.opensearch_url}")


if __name__ == "__main__":
    main()
