"""Suggestion endpoint latency under load: GET /api/v1/suggest/<target> against the raw query.

Starts the app under gunicorn, then drives the three suggestion endpoints open-loop at a fixed rate
(default 50 req/s for 20 s), mixed in turn: skills for 1 to 3 O*NET occupations (what an editor's
Skills tab asks), occupations for 1 or 2 CIP programmes, programmes for one occupation. The same
requests then go straight to OpenSearch with the bodies catalog.suggest builds. Prints client-side
p50/p95/p99 and OpenSearch's `took`.

    .venv/bin/python bench/suggest.py                    # builds a sandbox catalog, drops it after
    .venv/bin/python bench/suggest.py --prefix catalog-  # uses existing indices (DATABASE_URL too)

Target: endpoint p95 <= 30 ms at 50 req/s.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import add_load_arguments, endpoint_then_raw, report, serving, session_per_thread  # noqa: E402
from bench.sandbox import sandbox_catalog  # noqa: E402
from indexer import suggest as queries  # noqa: E402
from indexer.client import web_client  # noqa: E402
from indexer.registry import INDICES  # noqa: E402

SIZE = 12
MAX_REQUESTS = 5000
APP = "webapp:create_app(AUTOCOMPLETE_RATE_LIMIT='1000000/minute')"
READY_PATH = "/api/v1/suggest/skills?occupation=51-4121.00"


def requests_to_send(n: int, seed: int) -> list[tuple[str, str, list[str]]]:
    """(target, parameter, codes): occupations that reach ESCO skills, CIP codes with a crosswalk."""
    from store.taxonomy_sources import read_cip, read_onet

    rng = random.Random(seed)
    occupations = sorted(c.code for c in read_onet() if c.code.endswith(".00"))
    cips = sorted(c.code for c in read_cip() if len(c.code) == 7 and c.links.get("soc"))
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append(("skills", "occupation", rng.sample(occupations, rng.randint(1, 3))))
        elif i % 3 == 1:
            out.append(("occupations", "cip", rng.sample(cips, rng.randint(1, 2))))
        else:
            out.append(("programs", "occupation", [rng.choice(occupations)]))
    return out


def raw_body(target: str, codes: list[str]) -> tuple[str, dict]:
    if target == "skills":
        return "skills", queries.skills_for_occupations(codes, SIZE)
    if target == "occupations":
        return "occupations", queries.occupations_for_programs(codes, SIZE)
    return "programs", queries.programs_for_occupations([c[:7] for c in codes], SIZE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", help="use existing indices under this INDEX_PREFIX instead of building some")
    add_load_arguments(parser, rate=50.0, seconds=20.0)
    args = parser.parse_args()
    count = min(int(args.rate * args.seconds), MAX_REQUESTS)
    items = requests_to_send(count, args.seed)
    warmup = requests_to_send(150, args.seed + 1)

    with sandbox_catalog(args.prefix) as settings:
        load_before = os.getloadavg()[0]
        with serving(settings, APP, READY_PATH, args.workers, args.threads) as url:
            session = session_per_thread()

            def endpoint(item) -> tuple[None, None]:
                target, parameter, codes = item
                response = session().get(f"{url}/api/v1/suggest/{target}", params={parameter: codes, "size": SIZE},
                                         timeout=5)
                response.raise_for_status()
                return None, None

            client = web_client(settings.opensearch_url, settings.web_timeout)

            def raw(item) -> tuple[None, float]:
                vocabulary, body = raw_body(item[0], item[2])
                return None, client.search(index=INDICES[vocabulary].alias(settings.index_prefix), body=body)["took"]

            http, direct = endpoint_then_raw(
                items, warmup, args.rate, 100, args.clients, endpoint, raw, noun="requests", raw_noun="requests",
                setup=f"(gunicorn {args.workers} workers x {args.threads} threads)")

    print(f"\nresults (client-side latency unless noted); {os.cpu_count()} CPUs shared with OpenSearch and "
          f"anything else running, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    e, r, t = report(http, direct, "endpoint GET /api/v1/suggest/*", "raw opensearch-py search")
    print(f"  target: endpoint p95 <= 30 ms: {'met' if e[95] <= 30 else 'MISSED'} ({e[95]:.1f})")


if __name__ == "__main__":
    main()
