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
    .venv/bin/python bench/search.py --reuse catalog- sqlite:///instance/catalog.db

Targets: endpoint p95 <= 50 ms at 20 req/s, endpoint p95 <= 2x raw.
Everything it creates is dropped on the way out; traffic is bounded (rate x seconds + warm-up).
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from opensearchpy import OpenSearch  # noqa: E402

from indexer.client import web_client  # noqa: E402
from indexer.search import credentials_alias, parse_search_args, search  # noqa: E402
from store.settings import Settings  # noqa: E402

MAX_REQUESTS = 10_000
# The app as deployed, except that one load generator on one address must not hit the per-IP
# limit meant for people; the limiter still counts every request in Redis, as in production.
APP = "webapp:create_app(PUBLIC_API_RATE_LIMIT='1000000/minute')"
MIX = {"text": 0.4, "text+facets": 0.35, "facets": 0.25}


# --- the catalog -------------------------------------------------------------------------------


@contextmanager
def bench_catalog(n: int, seed: int, reuse: tuple[str, str] | None = None) -> Iterator[Settings]:
    """A fresh catalog, dropped afterwards; or, with `reuse` (prefix, database URL), one that
    exists already and is left alone."""
    if reuse:
        yield Settings.from_env(index_prefix=reuse[0], database_url=reuse[1])
        return
    from bench.generate import generate_credentials
    from indexer import operations
    from indexer.client import bulk_client
    from indexer.lifecycle import drop_all
    from store.db import session_scope
    from store.migrate import upgrade
    from store.taxonomy import import_bundled

    prefix = f"bench-{secrets.token_hex(3)}-"
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as tmp:
        settings = Settings.from_env(database_url=f"sqlite:///{tmp}/catalog.db", index_prefix=prefix)
        try:
            started = time.monotonic()
            print(f"building a catalog of {n:,} credentials under {prefix} (temporary SQLite database)")
            upgrade(settings.database_url)
            with session_scope(settings.database_url) as session:
                import_bundled(session)
            generate_credentials(settings.database_url, n, seed)
            print(f"  generated in {time.monotonic() - started:.0f} s; indexing")
            operations.init_indices(settings)
            indexed = operations.reindex(settings, "credentials")["credentials"]
            bulk_client(settings.opensearch_url).indices.refresh(index=credentials_alias(prefix))
            print(f"  {indexed:,} credentials indexed, {time.monotonic() - started:.0f} s in all")
            yield settings
        finally:
            drop_all(bulk_client(settings.opensearch_url), prefix)
            print(f"dropped the indices under {prefix}")


# --- what people search for --------------------------------------------------------------------


def text_pool(seed: int) -> list[str]:
    """Words people type: occupation titles and alternate titles cut to 1-3 words, skills, codes,
    and now and then a typo."""
    from store.taxonomy import read_onet, read_skills

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


# --- driving load ------------------------------------------------------------------------------


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    took_ms: list[float] = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    zero_hits: int = 0
    lag_ms: float = 0.0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def drive(searches: list[dict], rate: float, clients: int, call) -> Run:
    """Send searches[i] at start + i/rate (open loop) from `clients` threads.
    `call(params)` returns (total hits, OpenSearch took or None)."""
    run = Run()
    started = time.perf_counter() + 0.2

    def one(i: int, params: dict) -> None:
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        try:
            total, took = call(params)
        except Exception as exc:  # noqa: BLE001 - a failed request is counted by kind, not fatal
            kind = getattr(getattr(exc, "response", None), "status_code", None) or type(exc).__name__
            with run.lock:
                run.errors[kind] = run.errors.get(kind, 0) + 1
            return
        elapsed = (time.perf_counter() - t0) * 1000
        with run.lock:
            run.lag_ms = max(run.lag_ms, (t0 - due) * 1000)
            run.latencies_ms.append(elapsed)
            run.zero_hits += total == 0
            if took is not None:
                run.took_ms.append(took)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for i, params in enumerate(searches):
            pool.submit(one, i, params)
    run.seconds = time.perf_counter() - started
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(settings: Settings, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "INDEX_PREFIX": settings.index_prefix,
           "OPENSEARCH_URL": settings.opensearch_url, "REDIS_URL": settings.redis_url}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning", APP],
        cwd=ROOT, env=env, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/api/v1/search?q=nurse", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary(name: str, values: list[float]) -> dict:
    figures = {p: percentile(values, p) for p in (50, 95, 99)}
    figures["mean"] = statistics.fmean(values) if values else float("nan")
    figures["max"] = max(values) if values else float("nan")
    print(f"  {name:<34} p50 {figures[50]:6.1f}  p95 {figures[95]:6.1f}  p99 {figures[99]:6.1f}  "
          f"max {figures['max']:6.1f}  mean {figures['mean']:6.1f} ms")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="credentials to generate and index")
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", nargs=2, metavar=("PREFIX", "DATABASE_URL"),
                        help="search an existing catalog instead of building one (-n is then ignored)")
    args = parser.parse_args()
    count = min(int(args.rate * args.seconds), MAX_REQUESTS)

    with bench_catalog(args.n, args.seed, args.reuse) as settings:
        texts = text_pool(args.seed)
        searches = search_mix(count, args.seed, texts, settings)
        warmup = search_mix(200, args.seed + 1, texts, settings)
        indexed = web_client(settings.opensearch_url, 10).count(index=credentials_alias(settings.index_prefix))["count"]
        load_before = os.getloadavg()[0]
        proc, url = start_gunicorn(settings, args.workers, args.threads)
        try:
            local = threading.local()

            def endpoint(params: dict) -> tuple[int, None]:
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                response = session.get(f"{url}/api/v1/search", params=params, timeout=5)
                response.raise_for_status()
                return response.json()["total"], None

            # The raw side gets a connection per client thread, so its figures are the best case.
            client = OpenSearch(hosts=[settings.opensearch_url], timeout=settings.web_timeout, max_retries=0,
                                pool_maxsize=args.clients)

            def raw(params: dict) -> tuple[int, float]:
                result = search(client, settings.index_prefix, parse_search_args(params), settings.web_timeout)
                return result.total, result.took_ms

            print(f"warming up: {len(warmup)} searches each way")
            drive(warmup, 50, args.clients, endpoint)
            drive(warmup, 50, args.clients, raw)
            print(f"endpoint: {count} searches at {args.rate:g}/s from {args.clients} clients "
                  f"(gunicorn {args.workers} workers x {args.threads} threads); mix {MIX}")
            http = drive(searches, args.rate, args.clients, endpoint)
            print(f"raw OpenSearch: the same {count} searches at the same rate")
            direct = drive(searches, args.rate, args.clients, raw)
        finally:
            stop(proc)

    print(f"\nresults for {indexed:,} credentials (client-side latency unless noted); {os.cpu_count()} CPUs shared "
          f"with OpenSearch, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    e = summary("endpoint GET /api/v1/search", http.latencies_ms)
    r = summary("raw indexer.search.search", direct.latencies_ms)
    summary("OpenSearch took (raw run)", direct.took_ms)
    for name, run in (("endpoint", http), ("raw", direct)):
        done = len(run.latencies_ms)
        errors = ", ".join(f"{n} x {kind}" for kind, n in run.errors.items()) or "no errors"
        print(f"  {name:<8} {done} ok ({errors}), {done / run.seconds:5.1f} req/s achieved, "
              f"{run.zero_hits} with zero hits, worst start lag {run.lag_ms:.1f} ms")
    print(f"  endpoint/raw: p50 {e[50] / r[50]:.2f}x  p95 {e[95] / r[95]:.2f}x   "
          f"(Flask, labels and HTTP add p50 {e[50] - r[50]:.1f} ms, p95 {e[95] - r[95]:.1f} ms)")
    print(f"  targets: p95 <= 50 ms at {args.rate:g} req/s: {'met' if e[95] <= 50 else 'MISSED'} ({e[95]:.1f} ms); "
          f"overhead <= 2x raw: {'met' if e[95] / r[95] <= 2 else 'MISSED'} ({e[95] / r[95]:.2f}x at p95)")


if __name__ == "__main__":
    main()
