"""Metrics, request ids and JSON logs, on the real thing: gunicorn with two workers, a Celery worker
with its metrics page, the database, Redis and OpenSearch.

Scraped pages are read with prometheus_client's own parser, never by matching strings.

The gunicorn + worker stack gets a database and an index prefix of its own: the session's shared
worker (other modules') relays the shared database's outbox, and the end-to-end test must know
which worker indexed its publish to find the log line.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from indexer.metrics import opensearch_error_kind
from store.request_ids import MAX_LENGTH, accept_or_mint
from store.settings import ConfigurationError, parse_address_list
from tests.conftest import ROOT, throwaway_database
from tests.support.factories import wait_for
from tests.support.services import CeleryProcess, free_port
from webapp.metrics import endpoint_label
from workers.app import all_queues

pytestmark = pytest.mark.pipeline


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, from a scraped page."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(page: dict, name: str, **labels) -> float | None:
    return page.get((name, tuple(sorted(labels.items()))))


# --- pure functions ---------------------------------------------------------------------------


def test_request_ids_from_clients_are_taken_only_when_plain_and_short():
    assert accept_or_mint("req-42.a:b_c") == "req-42.a:b_c"
    for bad in (None, "", "has space", "x" * (MAX_LENGTH + 1), "line\nbreak", "-leading-dash", "ünïcode"):
        minted = accept_or_mint(bad)
        assert minted != bad and len(minted) == 32 and int(minted, 16) >= 0


def test_timed_endpoints_and_editor_saves_are_named():
    assert endpoint_label("autocomplete.autocomplete", "autocomplete", "GET") == "autocomplete"
    assert endpoint_label("api_public.search_api", "api_public", "GET") == "search"
    assert endpoint_label("api_editor.update_credential", "api_editor", "PATCH") == "editor_save"
    assert endpoint_label("editor.tab", "editor", "POST") == "editor_save"
    assert endpoint_label("editor.tab", "editor", "GET") is None
    assert endpoint_label("public.index", "public", "GET") is None


def test_opensearch_errors_get_a_bounded_kind():
    from opensearchpy.exceptions import ConnectionError, ConnectionTimeout, NotFoundError, TransportError

    assert opensearch_error_kind(ConnectionTimeout("TIMEOUT", "read timed out", None)) == "timeout"
    assert opensearch_error_kind(ConnectionError("N/A", "refused", None)) == "unreachable"
    assert opensearch_error_kind(NotFoundError(404, "index_not_found_exception", {})) == "index_missing"
    assert opensearch_error_kind(TransportError(429, "es_rejected_execution_exception", {})) == "overloaded"
    assert opensearch_error_kind(TransportError(400, "parsing_exception", {})) == "bad_request"
    assert opensearch_error_kind(TransportError(503, "unavailable", {})) == "server_error"


def test_metrics_allowlist_is_checked_when_read():
    assert parse_address_list("10.0.0.7, 172.16.0.0/12,::1", "METRICS_ALLOW") == (
        "10.0.0.7/32", "172.16.0.0/12", "::1/128")
    with pytest.raises(ConfigurationError, match="METRICS_ALLOW has 'prometheus'"):
        parse_address_list("prometheus", "METRICS_ALLOW")


# --- /metrics in process: who may read it, what it counts --------------------------------------


def test_metrics_are_for_loopback_or_the_token_holder_only(app, settings):
    from webapp import create_app

    client = app.test_client()
    page = client.get("/metrics")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert value(samples(page.text), "catalog_metrics_source_up", source="database") == 1
    outsider = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outsider.status_code == 403 and "METRICS_ALLOW" in outsider.json["message"]
    # An API token is not a metrics token, and a metrics Bearer is never looked up as an API token.
    assert client.get("/metrics", headers={"Authorization": "Bearer cc_x"}).status_code == 401

    token = "m" * 40
    guarded = create_app(dataclasses.replace(settings, metrics_token=token, metrics_allow=()), TESTING=True)
    client = guarded.test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    missing = client.get("/metrics", environ_base=remote)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "METRICS_TOKEN" in missing.json["message"]
    assert client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer wrong"}).status_code == 401
    good = client.get("/metrics", environ_base=remote, headers={"Authorization": f"Bearer {token}"})
    assert good.status_code == 200 and "catalog_outbox_pending" in {f.name for f in
                                                                    text_string_to_metric_families(good.text)}


def test_opensearch_errors_are_counted_by_operation_and_kind(settings, database):
    """Against a prefix with no indices: the 503s the client sees are counted as `index_missing`."""
    from webapp import create_app

    missing = create_app(dataclasses.replace(settings, index_prefix=f"{settings.index_prefix}none-"), TESTING=True)
    client = missing.test_client()

    def errors() -> dict:
        page = samples(client.get("/metrics").text)
        return {op: value(page, "catalog_opensearch_errors_total", operation=op, kind="index_missing") or 0
                for op in ("autocomplete", "search")}

    before = errors()
    assert client.get("/api/v1/autocomplete/occupations?q=nur").status_code == 503
    assert client.get("/api/v1/search?q=nurse").status_code == 503
    assert client.get("/api/v1/search?q=welder").status_code == 503
    after = errors()
    assert after["autocomplete"] - before["autocomplete"] == 1
    assert after["search"] - before["search"] == 2


# --- gunicorn, a Celery worker, and one publish followed end to end -----------------------------


@dataclasses.dataclass
class Stack:
    settings: object
    web: str
    worker_metrics: str
    web_log: Path
    worker_log: Path
    web_metrics_dir: Path
    token: str
    org_id: int


def _start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with log.open("ab") as out:
        return subprocess.Popen([gunicorn, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                 "--threads", "2", "webapp.wsgi:app"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGQUIT)  # gunicorn's quick shutdown: nothing is left to finish
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def stack(settings, tmp_path_factory):
    from catalog.accounts import service as accounts
    from indexer.client import bulk_client
    from indexer.lifecycle import drop_all, ensure_index
    from indexer.registry import INDICES
    from store.db import session_scope
    from store.migrate import upgrade

    tmp = tmp_path_factory.mktemp("observability")
    prefix = f"{settings.index_prefix}obs-"
    with throwaway_database(tmp, "observability") as database_url:
        own = dataclasses.replace(settings, database_url=database_url, index_prefix=prefix)
        upgrade(database_url)
        # The credentials index only: the relay writes there and search reads it. Autocomplete
        # answers 503 without its vocabulary index, which is timed like any answer.
        ensure_index(bulk_client(settings.opensearch_url), INDICES["credentials"], prefix)
        with session_scope(database_url) as s:
            org = accounts.create_org(s, "Observed Issuer", ["issuer"])
            user = accounts.create_user(s, f"observer-{uuid.uuid4().hex[:6]}@example.org", "correct horse battery")
            accounts.grant(s, user, org, "editor")
            token = accounts.create_token(s, user, "observability")[1]
            org_id = org.id
        env = {**os.environ, "DATABASE_URL": database_url, "INDEX_PREFIX": prefix, "LOG_FORMAT": "json",
               "SECRET_KEY": settings.secret_key}
        web_port, worker_port = free_port(), free_port()
        web_log, worker_log = tmp / "web.log", tmp / "worker.log"
        web = _start_gunicorn({**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "web-metrics")}, web_port, web_log)
        worker = CeleryProcess("worker", {**env, "PROMETHEUS_MULTIPROC_DIR": str(tmp / "worker-metrics"),
                                          "WORKER_METRICS_PORT": str(worker_port)}, worker_log, all_queues(prefix)).start()
        try:
            made = Stack(own, f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{worker_port}/metrics",
                         web_log, worker_log, tmp / "web-metrics", token, org_id)
            wait_for(lambda: _answers(f"{made.web}/metrics"), 60, 0.3, f"gunicorn (see {web_log})")
            wait_for(lambda: _answers(made.worker_metrics), 60, 0.3, f"the worker's metrics page (see {worker_log})")
            yield made
        finally:
            _stop(web)
            worker.kill()  # what it did is asserted; a warm shutdown would only cost time
            worker.log.close()
            drop_all(bulk_client(settings.opensearch_url), prefix)


def _scrape(url: str) -> dict:
    response = requests.get(url, timeout=5)
    assert response.status_code == 200, response.text
    return samples(response.text)


def _json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_metrics_page_adds_up_every_gunicorn_worker(stack):
    """A new connection per request, so both workers answer some; every scrape (whichever worker
    serves it) counts them all. (A 503 from a busy OpenSearch is timed too.)"""
    for text in ("nu", "wel", "elec", "te", "ca", "pl", "dr", "ma"):
        answer = requests.get(f"{stack.web}/api/v1/autocomplete/occupations", params={"q": text}, timeout=5)
        assert answer.status_code in (200, 503), answer.text
    for text in ("nurse", "welder", "driver"):
        assert requests.get(f"{stack.web}/api/v1/search", params={"q": text}, timeout=5).status_code in (200, 503)
    for _ in range(3):
        page = _scrape(f"{stack.web}/metrics")
        assert value(page, "catalog_http_request_duration_seconds_count", endpoint="autocomplete") == 8
        assert value(page, "catalog_http_request_duration_seconds_count", endpoint="search") == 3
        assert value(page, "catalog_http_request_duration_seconds_bucket", endpoint="search", le="+Inf") == 3
        assert value(page, "catalog_rebuilds_in_progress") == 0
    # Both workers write into the one directory the page adds up (the master's own file is gone).
    writers = {path.stem.rsplit("_", 1)[-1] for path in stack.web_metrics_dir.glob("counter_*.db")}
    assert len(writers) >= 2, writers


@pytest.fixture(scope="module")
def followed_publish(stack):
    """Create and publish a credential through the authoring API under a request id of our own."""
    rid = f"test-{uuid.uuid4().hex[:12]}"
    headers = {"Authorization": f"Bearer {stack.token}", "X-Request-ID": rid}
    created = requests.post(f"{stack.web}/api/v1/editor/credentials", headers=headers, timeout=10, json={
        "organization_id": stack.org_id, "name": "Observed Welding Certificate", "credential_type": "certificate",
        "description": "Structural welding, observed from the save to the index.", "delivery_mode": "in_person"})
    assert created.status_code == 201, created.text
    assert created.headers["X-Request-ID"] == rid
    cid, revision = created.json()["id"], created.json()["revision"]
    published = requests.post(f"{stack.web}/api/v1/editor/credentials/{cid}/publish", headers=headers,
                              json={"revision": revision}, timeout=10)
    assert published.status_code == 200, published.text
    return rid, cid


def test_one_publish_is_followed_from_the_save_to_the_relay_by_its_request_id(stack, followed_publish):
    from sqlalchemy import select

    from store.db import session_scope
    from store.models import OutboxEvent

    rid, cid = followed_publish

    def rows():
        with session_scope(stack.settings.database_url, write=False) as s:
            return s.execute(select(OutboxEvent.request_id, OutboxEvent.state)
                             .where(OutboxEvent.entity == "credential", OutboxEvent.entity_id == cid)).all()

    assert rows() and {request_id for request_id, _ in rows()} == {rid}
    # Generous: the shared OpenSearch may be busy with other people's bulk loads.
    wait_for(lambda: all(state == "done" for _, state in rows()), 120, 0.3, "the relay to index the publish")

    relayed = wait_for(lambda: [line for line in _json_lines(stack.worker_log) if line.get("request_id") == rid],
                       20, 0.3, f"a worker log line with request id {rid}")
    assert any(f"credential {cid}" in line["message"] and line["logger"] == "indexer.relay" for line in relayed)
    assert all({"time", "level", "logger", "message"} <= set(line) for line in relayed)
    # Every log line the worker wrote is JSON, Celery's own included: none in Celery's text format
    # ("[2026-11-30 14:29:06,123: INFO/MainProcess] ..."). Its start-up banner is printed, not logged.
    import re

    text_lines = [line for line in stack.worker_log.read_text().splitlines()
                  if re.match(r"\[\d{4}-\d\d-\d\d [\d:,]+: [A-Z]+/", line)]
    assert not text_lines, text_lines[:3]
    assert any(line["logger"].startswith("celery") for line in _json_lines(stack.worker_log))

    served = [line for line in _json_lines(stack.web_log) if line.get("request_id") == rid]
    assert any("/publish" in line["message"] for line in served), served  # gunicorn's access line

    # And a request without an id gets a new one back.
    minted = requests.get(f"{stack.web}/api/v1/autocomplete/occupations", params={"q": "we"}, timeout=5)
    assert len(minted.headers["X-Request-ID"]) == 32


def test_worker_and_web_count_the_relay_and_the_saves(stack, followed_publish):
    _rid, _cid = followed_publish

    def worker_page():
        page = _scrape(stack.worker_metrics)
        return page if (value(page, "catalog_relay_documents_total") or 0) >= 1 else None

    page = wait_for(worker_page, 30, 0.3, "the worker's relay counters")
    assert value(page, "catalog_relay_batches_total") >= 1
    assert value(page, "catalog_relay_failures_total", reason="rejected") in (None, 0)
    assert value(page, "catalog_outbox_pending") is None  # the web app reports the outbox, not the workers

    web = _scrape(f"{stack.web}/metrics")
    assert value(web, "catalog_http_request_duration_seconds_count", endpoint="editor_save") == 2
    assert value(web, "catalog_outbox_pending") == 0
    assert value(web, "catalog_outbox_oldest_pending_age_seconds") == 0
    assert value(web, "catalog_outbox_dead_letters") == 0


# --- compose: Prometheus scrapes the web app and every worker ---------------------------------


def test_compose_prometheus_scrapes_web_and_every_worker():
    """Docker cannot run here, so the files are checked against each other and the code."""
    import ipaddress
    import re

    import yaml

    from tests.test_compose import SERVICES, interpolate

    prometheus = yaml.safe_load((ROOT / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["web"]["metrics_path"] == "/metrics" and jobs["web"]["static_configs"][0]["targets"] == ["web:5000"]
    worker_env = SERVICES["worker"]["environment"]
    assert jobs["worker"]["dns_sd_configs"][0] == {"names": ["worker"], "type": "A",
                                                   "port": int(worker_env["WORKER_METRICS_PORT"])}
    assert worker_env["WORKER_METRICS_ADDRESS"] == "0.0.0.0" and worker_env["PROMETHEUS_MULTIPROC_DIR"]
    assert "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in SERVICES["prometheus"]["volumes"]
    # The web app runs with gunicorn.conf.py (the multiprocess directory and child_exit), in the image too.
    assert SERVICES["web"]["command"][1:3] == ["-c", "gunicorn.conf.py"]
    assert re.search(r"COPY .*gunicorn\.conf\.py", (ROOT / "Dockerfile").read_text())
    # Prometheus reaches the web app from a compose network address, which the default allowlist admits.
    allow = parse_address_list(interpolate(SERVICES["web"]["environment"]["METRICS_ALLOW"], {}), "METRICS_ALLOW")
    assert any(ipaddress.ip_address("172.18.0.5") in ipaddress.ip_network(n) for n in allow)
