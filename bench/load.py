"""Load helpers for the latency benchmarks: the app under gunicorn, an open-loop driver, percentiles.

The driver is open loop on purpose: request i is due at start + i/rate whatever happened to the
ones before it, so a slow server shows up as latency (and start lag) instead of quietly lowering
the rate, which is what a closed loop of clients waiting on each other would do.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import requests

from bench.sandbox import export_environment
from store.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def add_load_arguments(parser: argparse.ArgumentParser, rate: float, seconds: float) -> None:
    """The options every latency benchmark takes: how hard to drive, and how big the server is."""
    parser.add_argument("--rate", type=float, default=rate, help="requests per second")
    parser.add_argument("--rates", type=_rates, default=None, metavar="R1,R2,...",
                        help="sweep these rates one after another on the same server (e.g. 50,100,150) "
                             "and end with a table of endpoint/raw ratios; --rate is then ignored")
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--seed", type=int, default=7)


def _rates(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def rates_of(args: argparse.Namespace) -> list[float]:
    return args.rates or [args.rate]


def ratio_table(rows: list[tuple[float, dict, dict]]) -> None:
    """One line per swept rate: endpoint and raw p50/p95 and the endpoint/raw ratios."""
    print("\nendpoint/raw by rate (client-side ms):")
    print(f"  {'req/s':>6}  {'endpoint p50':>12} {'p95':>6}   {'raw p50':>7} {'p95':>6}   {'ratio p50':>9} {'p95':>5}")
    for rate, e, r in rows:
        print(f"  {rate:6g}  {e[50]:12.1f} {e[95]:6.1f}   {r[50]:7.1f} {r[95]:6.1f}   "
              f"{e[50] / r[50]:8.2f}x {e[95] / r[95]:5.2f}x")


@dataclass
class Run:
    latencies_ms: list[float] = field(default_factory=list)
    took_ms: list[float] = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    zero_hits: int = 0
    lag_ms: float = 0.0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, lag: float, latency: float, hits: int | None, took: float | None) -> None:
        with self.lock:
            self.lag_ms = max(self.lag_ms, lag)
            self.latencies_ms.append(latency)
            self.zero_hits += hits == 0
            if took is not None:
                self.took_ms.append(took)

    def fail(self, lag: float, kind) -> None:
        with self.lock:
            self.lag_ms = max(self.lag_ms, lag)
            self.errors[kind] = self.errors.get(kind, 0) + 1


def drive(items: list, rate: float, clients: int, call: Callable) -> Run:
    """Send items[i] at start + i/rate (open loop) from `clients` threads.
    `call(item)` returns (total hits or None, OpenSearch took or None)."""
    run = Run()
    started = time.perf_counter() + 0.2

    def one(i: int, item) -> None:
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        t0 = time.perf_counter()
        lag = (t0 - due) * 1000
        try:
            hits, took = call(item)
        except Exception as exc:  # noqa: BLE001 - a failed request is counted by kind, not fatal
            run.fail(lag, getattr(getattr(exc, "response", None), "status_code", None) or type(exc).__name__)
            return
        run.record(lag, (time.perf_counter() - t0) * 1000, hits, took)

    with ThreadPoolExecutor(max_workers=clients) as pool:
        for i, item in enumerate(items):
            pool.submit(one, i, item)
    run.seconds = time.perf_counter() - started
    return run


def endpoint_then_raw(items: list, warmup: list, rate: float, warmup_rate: float, clients: int, endpoint: Callable,
                      raw: Callable, *, noun: str, raw_noun: str, setup: str) -> tuple[Run, Run]:
    """Warm both sides up, then send the same items at the same rate and concurrency through the
    endpoint and then straight to OpenSearch; return (endpoint run, raw run). `noun`, `raw_noun`
    and `setup` only word the progress lines."""
    print(f"warming up: {len(warmup)} {noun} each way")
    drive(warmup, warmup_rate, clients, endpoint)
    drive(warmup, warmup_rate, clients, raw)
    print(f"endpoint: {len(items)} {noun} at {rate:g}/s from {clients} clients {setup}")
    http = drive(items, rate, clients, endpoint)
    print(f"raw OpenSearch: the same {len(items)} {raw_noun} at the same rate")
    return http, drive(items, rate, clients, raw)


def session_per_thread() -> Callable[[], requests.Session]:
    """A getter for one requests.Session per client thread, so each client keeps its connection
    alive as a browser would instead of paying a TCP handshake per request."""
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session
    return session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(settings: Settings, app: str, ready_path: str, workers: int,
                   threads: int) -> tuple[subprocess.Popen, str]:
    """Serve `app` (a gunicorn app spec) on a free loopback port; return once GET `ready_path` answers 200."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads), "--log-level", "warning", app],
        cwd=ROOT, env=export_environment(settings), start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(f"{url}{ready_path}", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError("gunicorn did not answer within 30 s")


@contextmanager
def serving(settings: Settings, app: str, ready_path: str, workers: int, threads: int) -> Iterator[str]:
    """The app under gunicorn for the length of the block; yields its base URL."""
    proc, url = start_gunicorn(settings, app, ready_path, workers, threads)
    try:
        yield url
    finally:
        stop(proc)


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
    """Print one row of p50/p95/p99/max/mean in ms and return the figures."""
    figures = {p: percentile(values, p) for p in (50, 95, 99)}
    figures["max"] = max(values) if values else float("nan")
    figures["mean"] = statistics.fmean(values) if values else float("nan")
    print(f"  {name:<34} p50 {figures[50]:6.1f}  p95 {figures[95]:6.1f}  p99 {figures[99]:6.1f}  "
          f"max {figures['max']:6.1f}  mean {figures['mean']:6.1f} ms")
    return figures


def report(http: Run, direct: Run, endpoint_label: str, raw_label: str,
           zero_hits: bool = False) -> tuple[dict, dict, dict]:
    """Print latency rows for the endpoint run, the raw run and OpenSearch's `took`, then a line a
    run (successes, errors by kind, achieved rate, worst start lag); return the three figure sets."""
    e = summary(endpoint_label, http.latencies_ms)
    r = summary(raw_label, direct.latencies_ms)
    t = summary("OpenSearch took (raw run)", direct.took_ms)
    for name, run in (("endpoint", http), ("raw", direct)):
        done = len(run.latencies_ms)
        errors = ", ".join(f"{n} x {kind}" for kind, n in run.errors.items()) or "no errors"
        hits = f"{run.zero_hits} with zero hits, " if zero_hits else ""
        print(f"  {name:<8} {done} ok ({errors}), {done / run.seconds:5.1f} req/s achieved, "
              f"{hits}worst start lag {run.lag_ms:.1f} ms")
    return e, r, t
