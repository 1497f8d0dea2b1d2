"""Autocomplete latency under load: the HTTP endpoint against the same OpenSearch query sent raw.

Starts the app under gunicorn on a free loopback port, then drives
GET /api/v1/autocomplete/occupations open-loop at a fixed rate (default 50 req/s for 20 s) from
a pool of concurrent clients, with what editors type: prefixes of O*NET alternate titles. The
same texts, at the same rate and concurrency, then go straight to OpenSearch with the exact body
the endpoint builds, through the same opensearch-py client settings. It prints client-side
p50/p95/p99, achieved throughput, OpenSearch's own `took`, and endpoint/raw ratios.

    .venv/bin/python bench/autocomplete.py                 # builds a sandbox catalog, drops it after
    .venv/bin/python bench/autocomplete.py --prefix catalog- --rate 50 --seconds 20

Targets: endpoint p95 <= 20 ms at 50 req/s, and endpoint p50 and p95 <= 1.5x raw.
Traffic stays on 127.0.0.1 and is bounded: rate x seconds requests, plus a short warm-up.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.sandbox import export_environment, sandbox_catalog  # noqa: E402
from indexer.autocomplete import build_autocomplete_query  # noqa: E402
from indexer.client import web_client  # noqa: E402
from indexer.registry import INDICES  # noqa: E402

SIZE = 10
MAX_REQUESTS = 5000


def typed_prefixes(n: int, seed: int) -> list[str]:
    """What editors type: the first 2 to 12 characters of alternate titles, cut at random."""
    from store.taxonomy import read_onet

    rng = random.Random(seed)
    titles = sorted({alt for concept in read_onet() for alt in concept.alt_labels})
    out = []
    while len(out) < n:
        title = rng.choice(titles)
        cut = rng.randint(2, min(12, len(title)))
        text = title[:cut].strip()
        if len(text) >= 2:
            out.append(text)
    return out


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    took_ms: list[float] = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    lag_ms: float = 0.0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, latency: float, took: float | None = None) -> None:
        with self.lock:
            self.latencies_ms.append(latency)
            if took is not None:
                self.took_ms.append(took)


def drive(texts: list[str], rate: float, clients: int, call) -> Run:
    """Send texts[i] at start + i/rate (open loop) from `clients` threads; `call(text)` returns `took`."""
    run = Run()
    started = time.perf_counter() + 0.2

    def one(i: int, text: str) -> None:
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        run.lag_ms = max(run.lag_ms, (t0 - due) * 1000)
        try:
            took = call(text)
        except Exception as exc:  # noqa: BLE001 - a failed request is counted by kind, not fatal
            kind = getattr(getattr(exc, "response", None), "status_code", None) or type(exc).__name__
            with run.lock:
                run.errors[kind] = run.errors.get(kind, 0) + 1
            return
        run.record((time.perf_counter() - t0) * 1000, took)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for i, text in enumerate(texts):
            pool.submit(one, i, text)
    run.seconds = time.perf_counter() - started
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The app as deployed, except that one load generator on one address must not hit the per-IP
# rate limit meant for people; the limiter still counts every request in Redis, as in production.
APP = "webapp:create_app(AUTOCOMPLETE_RATE_LIMIT='1000000/minute')"


def start_gunicorn(settings, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    proc = subprocess.Popen(
        [str(gunicorn), "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread",
         "--threads", str(threads), "--log-level", "warning", APP],
        cwd=ROOT, env=export_environment(settings), start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{url}/api/v1/autocomplete/occupations?q=nurse", timeout=2).status_code == 200:
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


def summary(name: str, run: Run, values: list[float] | None = None) -> dict[str, float]:
    values = run.latencies_ms if values is None else values
    figures = {p: percentile(values, p) for p in (50, 95, 99)}
    figures["max"] = max(values) if values else float("nan")
    figures["mean"] = statistics.fmean(values) if values else float("nan")
    print(f"  {name:<34} p50 {figures[50]:6.1f}  p95 {figures[95]:6.1f}  p99 {figures[99]:6.1f}  "
          f"max {figures['max']:6.1f}  mean {figures['mean']:6.1f} ms")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", help="use existing indices under this INDEX_PREFIX instead of building some")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    count = min(int(args.rate * args.seconds), MAX_REQUESTS)
    texts = typed_prefixes(count, args.seed)
    warmup = typed_prefixes(200, args.seed + 1)

    with sandbox_catalog(args.prefix) as settings:
        load_before = os.getloadavg()[0]
        proc, url = start_gunicorn(settings, args.workers, args.threads)
        try:
            local = threading.local()

            def endpoint(text: str) -> None:
                session = getattr(local, "session", None) or requests.Session()
                local.session = session
                response = session.get(f"{url}/api/v1/autocomplete/occupations", params={"q": text, "size": SIZE},
                                       timeout=5)
                response.raise_for_status()

            client = web_client(settings.opensearch_url, settings.web_timeout)
            index = INDICES["occupations"].alias(settings.index_prefix)

            def raw(text: str) -> float:
                return client.search(index=index, body=build_autocomplete_query(text, SIZE, "occupations"))["took"]

            print(f"warming up: {len(warmup)} requests each way")
            drive(warmup, 100, args.clients, endpoint)
            drive(warmup, 100, args.clients, raw)
            print(f"endpoint: {count} requests at {args.rate:g}/s from {args.clients} clients "
                  f"(gunicorn {args.workers} workers x {args.threads} threads)")
            http = drive(texts, args.rate, args.clients, endpoint)
            print(f"raw OpenSearch: the same {count} texts and bodies at the same rate")
            direct = drive(texts, args.rate, args.clients, raw)
        finally:
            stop(proc)

    print(f"\nresults (client-side latency unless noted); {os.cpu_count()} CPUs shared with OpenSearch and "
          f"anything else running, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    e = summary("endpoint GET /api/v1/autocomplete", http)
    r = summary("raw opensearch-py search", direct)
    t = summary("OpenSearch took (raw run)", direct, direct.took_ms)
    for name, run in (("endpoint", http), ("raw", direct)):
        done = len(run.latencies_ms)
        errors = ", ".join(f"{n} x {kind}" for kind, n in run.errors.items()) or "no errors"
        print(f"  {name:<8} {done} ok ({errors}), {done / run.seconds:5.1f} req/s achieved, "
              f"worst start lag {run.lag_ms:.1f} ms")
    print(f"  endpoint/raw: p50 {e[50] / r[50]:.2f}x  p95 {e[95] / r[95]:.2f}x   "
          f"(Flask + HTTP overhead p50 {e[50] - r[50]:.1f} ms; raw minus took p50 {r[50] - t[50]:.1f} ms)")
    print(f"  targets: endpoint p95 <= 20 ms: {'met' if e[95] <= 20 else 'MISSED'} ({e[95]:.1f}); "
          f"overhead <= 1.5x raw: {'met' if e[95] / r[95] <= 1.5 and e[50] / r[50] <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
