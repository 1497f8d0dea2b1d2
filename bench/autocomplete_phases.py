"""Where an autocomplete request's time goes, one phase at a time, one request at a time.

For the texts bench/autocomplete.py sends (prefixes of alternate titles, and official names), runs
what indexer.autocomplete.suggest does, step by step and without concurrency, and prints per phase
the wall time, the client's CPU time and OpenSearch's `took`: the strict search, reading its answer,
the word weights (indexer.word_statistics: no request once the index's statistics are read, which
this bench waits for first), the relaxed search and reading its answer; and, as the baseline, the
previous query (bench/previous_autocomplete.py) on the same texts in the same run. CPU time spent
in the web process matters beyond its wall time: under load the threads of a worker share one
interpreter, so every millisecond of it queues the others (issue 11's latency note).

    .venv/bin/python bench/autocomplete_phases.py                  # builds a sandbox catalog, drops it after
    .venv/bin/python bench/autocomplete_phases.py --prefix catalog- --n 300
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import previous_autocomplete  # noqa: E402
from bench.autocomplete import typed_prefixes, with_real_names  # noqa: E402
from bench.load import percentile  # noqa: E402
from bench.sandbox import sandbox_catalog  # noqa: E402
from indexer import autocomplete as ac  # noqa: E402
from indexer import word_statistics  # noqa: E402
from indexer.client import web_client  # noqa: E402
from indexer.registry import INDICES  # noqa: E402

SIZE = 10
PHASES = ("baseline search", "strict search", "strict answer", "word weights", "relaxed search", "relaxed answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", help="use existing indices under this INDEX_PREFIX instead of building some")
    parser.add_argument("--vocabulary", choices=("occupations", "programs", "sectors"), default="occupations")
    parser.add_argument("--n", type=int, default=300, help="texts (default 300)")
    parser.add_argument("--realnames", type=float, default=0.2, help="share of official names (default 0.2)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    target = args.vocabulary
    texts = typed_prefixes(args.n, args.seed)
    if target == "occupations" and args.realnames > 0:
        texts = with_real_names(texts, args.realnames, args.seed)
    with sandbox_catalog(args.prefix) as settings:
        client = web_client(settings.opensearch_url, 30)
        index, profile = INDICES[target].alias(settings.index_prefix), ac.TARGETS[target]
        word_statistics.statistics(client, index, wait=True)
        rows: dict[str, list[tuple[float, float, float]]] = defaultdict(list)

        def timed(phase: str, call):
            wall, cpu = time.perf_counter(), time.process_time()
            result = call()
            took = result.get("took", 0) if isinstance(result, dict) else 0
            rows[phase].append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, took))
            return result

        for text in texts:
            baseline = previous_autocomplete.build_autocomplete_query(text, SIZE, target)
            timed("baseline search", lambda: client.search(index=index, body=baseline))
            strict = timed("strict search", lambda: client.search(
                index=index, body=ac.build_autocomplete_query(text, SIZE, target)))
            total = strict["hits"]["total"]["value"]
            if not ac.needs_second_step(profile, total, SIZE):
                timed("strict answer", lambda: ac.parse_autocomplete_response(strict, text, target))
                continue
            cut = text.strip()[:ac.MAX_TEXT]
            weights = (timed("word weights", lambda: word_statistics.word_weights(
                client, index, cut, head_factor=profile.head_factor)) if ac.wants_weights(profile, cut, total) else None)
            typos = ac.wants_typos(client, index, cut, total)
            body = ac.build_autocomplete_query(cut, SIZE, target, relaxed=True, weights=weights, typos=typos)
            relaxed = timed("relaxed search", lambda: client.search(index=index, body=body))
            timed("relaxed answer", lambda: ac.parse_autocomplete_response(relaxed, cut, target))
        print(f"{len(texts)} texts, one at a time, {target}; {len(rows['relaxed search'])} ran the relaxed step")
        print(f"  {'phase':<16} {'n':>4}   {'wall p50':>8} {'p95':>6}   {'client CPU mean':>15}   {'took p50':>8}")
        for phase in PHASES:
            values = rows.get(phase, [])
            if not values:
                continue
            walls, cpus, tooks = zip(*values)
            print(f"  {phase:<16} {len(values):>4}   {percentile(list(walls), 50):8.1f} {percentile(list(walls), 95):6.1f}"
                  f"   {sum(cpus) / len(cpus):15.2f}   {percentile(list(tooks), 50):8.1f}")


if __name__ == "__main__":
    main()
