"""Autocomplete latency under load: the HTTP endpoint against the same OpenSearch query sent raw.

Starts the app under gunicorn on a free loopback port, then drives
GET /api/v1/autocomplete/occupations open-loop at a fixed rate (default 50 req/s for 20 s) from
a pool of concurrent clients, with what editors type: prefixes of O*NET alternate titles, and
(`--realnames`, default 20%) official names from querysets/occupations_realnames.tsv, which the
strict tiers often cannot fill a page for, so that the relaxed tiers' second request is in the mix.
The same texts, at the same rate and concurrency, then go straight to OpenSearch through
indexer.autocomplete.suggest (the endpoint's one or two requests, without Flask and HTTP), and
last, as the baseline, through the query autocomplete sent before the relaxed tiers
(bench/previous_autocomplete.py: one request, strict tiers and typos). It prints client-side
p50/p95/p99, achieved throughput, OpenSearch's own `took`, endpoint/raw ratios, the baseline's
figures and how many requests ran the relaxed tiers. The relaxed tiers' word statistics are read
once per index and process, in the background (indexer/word_statistics.py); the warm-up covers
that, and the figures say how many words they hold.

    .venv/bin/python bench/autocomplete.py                 # builds a sandbox catalog, drops it after
    .venv/bin/python bench/autocomplete.py --prefix catalog- --rate 50 --seconds 20
    .venv/bin/python bench/autocomplete.py --rates 50,100,150    # one server, three rates, a ratio table
    .venv/bin/python bench/autocomplete.py --vocabulary skills   # skills: ESCO and O*NET labels and the
                                                                 # everyday phrases, cut the same way

Targets: endpoint p95 <= 20 ms at 50 req/s, and endpoint p50 and p95 <= 1.5x raw.
Traffic stays on 127.0.0.1 and is bounded: rate x seconds requests, plus a short warm-up.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import previous_autocomplete  # noqa: E402
from bench.load import (add_load_arguments, drive, endpoint_then_raw, rates_of, ratio_table, report,  # noqa: E402
                        serving, session_per_thread, summary)
from bench.sandbox import sandbox_catalog  # noqa: E402
from indexer import word_statistics  # noqa: E402
from indexer.autocomplete import suggest  # noqa: E402
from indexer.client import web_client  # noqa: E402
from indexer.registry import INDICES  # noqa: E402

SIZE = 10
MAX_REQUESTS = 5000
# The app as deployed, except that one load generator on one address must not hit the per-IP
# rate limit meant for people; the limiter still counts every request in Redis, as in production.
APP = "webapp:create_app(AUTOCOMPLETE_RATE_LIMIT='1000000/minute')"
READY_PATH = "/api/v1/autocomplete/occupations?q=nurse"


def typed_prefixes(n: int, seed: int, vocabulary: str = "occupations") -> list[str]:
    """What editors type: the first 2 to 12 characters of alternate titles (for skills: of labels,
    alternative labels and the everyday phrases), cut at random."""
    rng = random.Random(seed)
    if vocabulary == "skills":
        from bench.make_querysets import EVERYDAY
        from store.skill_sources import read_skills_scheme

        titles = {t for c in read_skills_scheme() for t in [c.label, *c.alt_labels]}
        titles |= {line.split("\t")[1] for line in EVERYDAY.read_text().splitlines() if line and line[0] != "#"}
        titles = sorted(titles)
    else:
        from store.taxonomy_sources import read_onet

        titles = sorted({alt for concept in read_onet() for alt in concept.alt_labels})
    out = []
    while len(out) < n:
        title = rng.choice(titles)
        cut = rng.randint(2, min(12, len(title)))
        text = title[:cut].strip()
        if len(text) >= 2:
            out.append(text)
    return out


def with_real_names(texts: list[str], share: float, seed: int) -> list[str]:
    """`texts` with `share` of them (at random places) replaced by real official names."""
    import csv

    path = ROOT / "bench" / "querysets" / "occupations_realnames.tsv"
    with path.open(encoding="utf-8", newline="") as fh:
        names = [r["query"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]
    rng = random.Random(seed)
    return [rng.choice(names) if rng.random() < share else text for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", help="use existing indices under this INDEX_PREFIX instead of building some")
    parser.add_argument("--vocabulary", choices=("occupations", "skills"), default="occupations")
    parser.add_argument("--realnames", type=float, default=0.2,
                        help="share of texts that are official names (occupations only; default 0.2)")
    add_load_arguments(parser, rate=50.0, seconds=20.0)
    args = parser.parse_args()
    vocabulary = args.vocabulary

    def texts_for(count: int, seed: int) -> list[str]:
        texts = typed_prefixes(count, seed, vocabulary)
        if vocabulary == "occupations" and args.realnames > 0:
            texts = with_real_names(texts, args.realnames, seed)
        return texts

    warmup = texts_for(200, args.seed + 1)
    relaxed_runs: list[bool] = []
    rows = []

    with sandbox_catalog(args.prefix) as settings:
        load_before = os.getloadavg()[0]
        with serving(settings, APP, READY_PATH, args.workers, args.threads) as url:
            session = session_per_thread()

            def endpoint(text: str) -> tuple[None, None]:
                response = session().get(f"{url}/api/v1/autocomplete/{vocabulary}", params={"q": text, "size": SIZE},
                                       timeout=5)
                response.raise_for_status()
                relaxed_runs.append(bool(response.json().get("relaxed")))
                return None, None

            client = web_client(settings.opensearch_url, settings.web_timeout)
            index = INDICES[vocabulary].alias(settings.index_prefix)

            def raw(text: str) -> tuple[None, float]:
                return None, suggest(client, settings.index_prefix, vocabulary, text, SIZE).took_ms

            def baseline(text: str) -> tuple[None, float]:
                body = previous_autocomplete.build_autocomplete_query(text, SIZE, vocabulary)
                return None, client.search(index=index, body=body)["took"]

            for rate in rates_of(args):
                texts = texts_for(min(int(rate * args.seconds), MAX_REQUESTS), args.seed)
                http, direct = endpoint_then_raw(
                    texts, warmup, rate, 100, args.clients, endpoint, raw, noun="requests",
                    raw_noun="texts and bodies", setup=f"(gunicorn {args.workers} workers x {args.threads} threads)")
                print(f"baseline: the same {len(texts)} texts with the query before the relaxed tiers, raw")
                before = drive(texts, rate, args.clients, baseline)
                print(f"\nresults at {rate:g} req/s (client-side latency unless noted); {os.cpu_count()} CPUs shared "
                      f"with OpenSearch and anything else running, load average {load_before:.1f} before, "
                      f"{os.getloadavg()[0]:.1f} now")
                e, r, t = report(http, direct, f"endpoint GET /api/v1/autocomplete/{vocabulary}",
                                 "raw suggest() (1-2 searches)")
                b = summary("baseline: previous query, raw", before.latencies_ms)
                summary("OpenSearch took (baseline run)", before.took_ms)
                stats = word_statistics.statistics(client, index)
                print(f"  word statistics of {stats.index} (raw run's process): {len(stats.words)} words read once, "
                      f"{len(stats.unknown.items)} more looked up since")
                measured = relaxed_runs[-len(texts):]
                print(f"  relaxed tiers ran for {sum(measured)} of {len(measured)} endpoint requests "
                      f"({sum(measured) / max(len(measured), 1):.0%}); the rest were answered by the strict tiers alone")
                print(f"  raw suggest()/baseline: p50 {r[50] / b[50]:.2f}x  p95 {r[95] / b[95]:.2f}x")
                print(f"  endpoint/raw: p50 {e[50] / r[50]:.2f}x  p95 {e[95] / r[95]:.2f}x   "
                      f"(Flask + HTTP overhead p50 {e[50] - r[50]:.1f} ms; raw minus took p50 {r[50] - t[50]:.1f} ms)")
                print(f"  targets: endpoint p95 <= 20 ms: {'met' if e[95] <= 20 else 'MISSED'} ({e[95]:.1f}); "
                      f"overhead <= 1.5x raw: {'met' if e[95] / r[95] <= 1.5 and e[50] / r[50] <= 1.5 else 'MISSED'}")
                rows.append((rate, e, r))
    ratio_table(rows)


if __name__ == "__main__":
    main()
