"""Autocomplete latency under load: the HTTP endpoint against the same OpenSearch query sent raw.

Starts the app under gunicorn on a free loopback port, then drives
GET /api/v1/autocomplete/occupations open-loop at a fixed rate (default 50 req/s for 20 s) from
a pool of concurrent clients, with what editors type: prefixes of O*NET alternate titles. The
same texts, at the same rate and concurrency, then go straight to OpenSearch with the exact body
the endpoint builds, through the same opensearch-py client settings. It prints client-side
p50/p95/p99, achieved throughput, OpenSearch's own `took`, and endpoint/raw ratios.

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

from bench.load import (add_load_arguments, endpoint_then_raw, rates_of, ratio_table, report, serving,  # noqa: E402
                        session_per_thread)
from bench.sandbox import sandbox_catalog  # noqa: E402
from indexer.autocomplete import build_autocomplete_query  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", help="use existing indices under this INDEX_PREFIX instead of building some")
    parser.add_argument("--vocabulary", choices=("occupations", "skills"), default="occupations")
    add_load_arguments(parser, rate=50.0, seconds=20.0)
    args = parser.parse_args()
    vocabulary = args.vocabulary
    warmup = typed_prefixes(200, args.seed + 1, vocabulary)
    rows = []

    with sandbox_catalog(args.prefix) as settings:
        load_before = os.getloadavg()[0]
        with serving(settings, APP, READY_PATH, args.workers, args.threads) as url:
            session = session_per_thread()

            def endpoint(text: str) -> tuple[None, None]:
                response = session().get(f"{url}/api/v1/autocomplete/{vocabulary}", params={"q": text, "size": SIZE},
                                       timeout=5)
                response.raise_for_status()
                return None, None

            client = web_client(settings.opensearch_url, settings.web_timeout)
            index = INDICES[vocabulary].alias(settings.index_prefix)

            def raw(text: str) -> tuple[None, float]:
                return None, client.search(index=index, body=build_autocomplete_query(text, SIZE, vocabulary))["took"]

            for rate in rates_of(args):
                count = min(int(rate * args.seconds), MAX_REQUESTS)
                texts = typed_prefixes(count, args.seed, vocabulary)
                http, direct = endpoint_then_raw(
                    texts, warmup, rate, 100, args.clients, endpoint, raw, noun="requests",
                    raw_noun="texts and bodies", setup=f"(gunicorn {args.workers} workers x {args.threads} threads)")
                print(f"\nresults at {rate:g} req/s (client-side latency unless noted); {os.cpu_count()} CPUs shared "
                      f"with OpenSearch and anything else running, load average {load_before:.1f} before, "
                      f"{os.getloadavg()[0]:.1f} now")
                e, r, t = report(http, direct, f"endpoint GET /api/v1/autocomplete/{vocabulary}",
                                 "raw opensearch-py search")
                print(f"  endpoint/raw: p50 {e[50] / r[50]:.2f}x  p95 {e[95] / r[95]:.2f}x   "
                      f"(Flask + HTTP overhead p50 {e[50] - r[50]:.1f} ms; raw minus took p50 {r[50] - t[50]:.1f} ms)")
                print(f"  targets: endpoint p95 <= 20 ms: {'met' if e[95] <= 20 else 'MISSED'} ({e[95]:.1f}); "
                      f"overhead <= 1.5x raw: {'met' if e[95] / r[95] <= 1.5 and e[50] / r[50] <= 1.5 else 'MISSED'}")
                rows.append((rate, e, r))
    ratio_table(rows)

if __name__ == "__main__":
    main()
