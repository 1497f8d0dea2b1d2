"""Search latency under load: GET /api/v1/search against the same searches sent straight to OpenSearch.

Builds a throwaway catalog (temporary SQLite database, indices under `bench-<random>-`), fills it
with N generated credentials (bench/generate.py) and indexes them with the real reindex, starts
the app under gunicorn on a free loopback port, and drives GET /api/v1/search open-loop at a
fixed rate from a pool of concurrent clients with a realistic mix: text only, text with one to
three facets, and facets only, some on later pages or sorted by name or date. The same searches,
at the same rate and concurrency, then go straight to OpenSearch through indexer.search.search
(the exact bodies, and the same zero-result follow-up, the endpoint sends). It prints client-side
p50/p95/p99, throughput, OpenSearch's own `took`, and the endpoint/raw ratio.

    .venv/bin/python bench/search.py                      # 100k credentials, 20 req/s for 30 s
    .venv/bin/python bench/search.py -n 10000 --seconds 20
    .venv/bin/python bench/search.py -n 10000 --rates 50,100,150   # one server, three rates, a ratio table
    .venv/bin/python bench/search.py --reuse catalog- sqlite:///instance/catalog.db

Targets: endpoint p95 <= 50 ms at 20 req/s, endpoint p95 <= 2x raw.
Everything it creates is dropped on the way out; traffic is bounded (rate x seconds + warm-up).
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from opensearchpy import OpenSearch  # noqa: E402

from bench.load import (add_load_arguments, endpoint_then_raw, rates_of, ratio_table, report, serving,  # noqa: E402
                        session_per_thread)
from bench.sandbox import sandbox_catalog  # noqa: E402
from indexer.client import web_client  # noqa: E402
from indexer.search import credentials_alias, parse_search_args, search  # noqa: E402
from store.settings import Settings  # noqa: E402

MAX_REQUESTS = 10_000
# The app as deployed, except that one load generator on one address must not hit the per-IP
# limit meant for people; the limiter still counts every request in Redis, as in production.
APP = "webapp:create_app(PUBLIC_API_RATE_LIMIT='1000000/minute')"
READY_PATH = "/api/v1/search?q=nurse"
MIX = {"text": 0.4, "text+facets": 0.35, "facets": 0.25}


# --- what people search for --------------------------------------------------------------------


def text_pool(seed: int) -> list[str]:
    """Words people type: occupation titles and alternate titles cut to 1-3 words, skills, codes,
    and now and then a typo."""
    from store.taxonomy_sources import read_onet, read_skills

    rng = random.Random(seed)
    occupations = read_onet()
    titles = [c.label for c in occupations] + [a for c in occupations for a in c.alt_labels[:3]]
    skills = [c.label for c in read_skills() if c.code.startswith("2.")]
    texts = []
    for _ in range(3000):
        roll = rng.random()
        if roll < 0.7:
            words = rng.choice(titles).replace(",", "").split()
            start = rng.randrange(len(words))
            text = " ".join(words[start:start + rng.randint(1, 3)])
        elif roll < 0.85:
            text = rng.choice(skills)
        elif roll < 0.95:
            text = rng.choice(occupations).code[: rng.choice([7, 10])]
        else:
            word = rng.choice(titles).split()[0]
            i = rng.randrange(len(word))
            text = word[:i] + word[i + 1:] if len(word) > 4 else word
        texts.append(text.lower())
    return texts


def search_mix(n: int, seed: int, texts: list[str], settings: Settings) -> list[dict[str, list[str]]]:
    """Searches as people make them: type, then tick facet values that the page offers, one at a
    time, among the first few listed (so a drill-down rarely ends in nothing, as on the page)."""
    rng = random.Random(seed)
    client = web_client(settings.opensearch_url, 10)
    kinds, weights = zip(*MIX.items())
    facet_names = ["occupation", "skill", "sector", "type", "delivery", "cip", "issuer"]
    out = []
    for _ in range(n):
        kind = rng.choices(kinds, weights)[0]
        params: dict[str, list[str]] = {} if kind == "facets" else {"q": [rng.choice(texts)]}
        for _tick in range(0 if kind == "text" else rng.randint(1, 3)):
            shown = search(client, settings.index_prefix, parse_search_args({**params, "size": ["1"]}), 10).facets
            choices = [name for name in facet_names if name not in params and shown[name].values]
            if not choices:
                break
            name = rng.choice(choices)
            params[name] = [rng.choice(shown[name].values[:8]).value]
        if rng.random() < 0.15:
            params["page"] = [str(rng.randint(2, 5))]
        if rng.random() < 0.15:
            params["sort"] = [rng.choice(["name", "newest"])]
        out.append(params)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="credentials to generate and index")
    add_load_arguments(parser, rate=20.0, seconds=30.0)
    parser.add_argument("--reuse", nargs=2, metavar=("PREFIX", "DATABASE_URL"),
                        help="search an existing catalog instead of building one (-n is then ignored)")
    args = parser.parse_args()
    rows = []

    prefix, database_url = args.reuse or (None, None)
    with sandbox_catalog(prefix, database_url, credentials=args.n, seed=args.seed) as settings:
        texts = text_pool(args.seed)
        warmup = search_mix(200, args.seed + 1, texts, settings)
        indexed = web_client(settings.opensearch_url, 10).count(index=credentials_alias(settings.index_prefix))["count"]
        load_before = os.getloadavg()[0]
        with serving(settings, APP, READY_PATH, args.workers, args.threads) as url:
            session = session_per_thread()

            def endpoint(params: dict) -> tuple[int, None]:
                response = session().get(f"{url}/api/v1/search", params=params, timeout=5)
                response.raise_for_status()
                return response.json()["total"], None

            # The raw side gets a connection per client thread, so its figures are the best case.
            client = OpenSearch(hosts=settings.opensearch_hosts, timeout=settings.web_timeout, max_retries=0,
                                pool_maxsize=args.clients)

            def raw(params: dict) -> tuple[int, float]:
                result = search(client, settings.index_prefix, parse_search_args(params), settings.web_timeout)
                return result.total, result.took_ms

            for rate in rates_of(args):
                count = min(int(rate * args.seconds), MAX_REQUESTS)
                searches = search_mix(count, args.seed, texts, settings)
                http, direct = endpoint_then_raw(
                    searches, warmup, rate, 50, args.clients, endpoint, raw, noun="searches", raw_noun="searches",
                    setup=f"(gunicorn {args.workers} workers x {args.threads} threads); mix {MIX}")
                print(f"\nresults for {indexed:,} credentials at {rate:g} req/s (client-side latency unless noted); "
                      f"{os.cpu_count()} CPUs shared with OpenSearch, load average {load_before:.1f} before, "
                      f"{os.getloadavg()[0]:.1f} now")
                e, r, _ = report(http, direct, "endpoint GET /api/v1/search", "raw indexer.search.search",
                                 zero_hits=True)
                print(f"  endpoint/raw: p50 {e[50] / r[50]:.2f}x  p95 {e[95] / r[95]:.2f}x   "
                      f"(Flask, labels and HTTP add p50 {e[50] - r[50]:.1f} ms, p95 {e[95] - r[95]:.1f} ms)")
                print(f"  targets: p95 <= 50 ms at {rate:g} req/s: {'met' if e[95] <= 50 else 'MISSED'} "
                      f"({e[95]:.1f} ms); overhead <= 2x raw: {'met' if e[95] / r[95] <= 2 else 'MISSED'} "
                      f"({e[95] / r[95]:.2f}x at p95)")
                rows.append((rate, e, r))
    ratio_table(rows)

if __name__ == "__main__":
    main()
