"""GET /metrics for Prometheus, and the request timings it reports.

- **What is timed** is declared in TIMED_ENDPOINTS and SAVING_BLUEPRINTS below: public search
  (API and page), autocomplete, suggest, and every editor save (the editor's forms and the
  authoring API's writes). Timing starts when the WSGI call begins and ends at teardown, into
  `catalog_http_request_duration_seconds{endpoint=...}` (indexer/metrics.py declares it).
- **The page** adds up what every gunicorn worker counted (multiprocess mode, see
  gunicorn.conf.py) and reads the outbox and rebuild gauges at scrape time.
- **Who may read it**: a client that sends `Authorization: Bearer <METRICS_TOKEN>`, or one whose
  address is in `METRICS_ALLOW` (loopback by default). Anyone else gets 401 (a token is set:
  send it) or 403 (no token is set and the address is not allowed), with a message that says
  which setting to change. Behind a reverse proxy the address is the proxy's unless the app is
  wrapped in ProxyFix; prefer the token there.
"""
from __future__ import annotations

import hmac
import ipaddress
import time
from functools import lru_cache

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from indexer.metrics import REQUEST_LATENCY, PipelineCollector, exposition
from webapp.errors import json_error

bp = Blueprint("metrics", __name__)

# Flask endpoint -> the `endpoint` label.
TIMED_ENDPOINTS = {
    "api_public.search_api": "search",
    "search.search_page": "search_page",
    "autocomplete.autocomplete": "autocomplete",
    "suggest.suggestions": "suggest",
}
# Any write to these blueprints is an editor save.
SAVING_BLUEPRINTS = {"editor": "editor_save", "api_editor": "editor_save"}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STARTED = "catalog.request_started"


def endpoint_label(endpoint: str | None, blueprint: str | None, method: str) -> str | None:
    """The `endpoint` label for a request, or None when it is not timed."""
    label = TIMED_ENDPOINTS.get(endpoint or "")
    if label is None and method in WRITES:
        label = SAVING_BLUEPRINTS.get(blueprint or "")
    return label


class _StartClock:
    """WSGI middleware: note when the call began, before Flask builds its request context."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ[STARTED] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


def _observe(_exc) -> None:
    label = endpoint_label(request.endpoint, request.blueprint, request.method)
    started = request.environ.get(STARTED)
    if label is not None and started is not None:
        REQUEST_LATENCY.labels(endpoint=label).observe(time.perf_counter() - started)


@lru_cache(maxsize=8)
def _networks(allow: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(n) for n in allow)


def _address_allowed(address: str | None, allow: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in network for network in _networks(allow))


def refusal() -> Response | None:
    """None when this request may read the metrics, else the 401 or 403 that says why not."""
    settings = current_app.config["SETTINGS"]
    scheme, _, sent = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and sent.strip():
        if settings.metrics_token and hmac.compare_digest(sent.strip().encode(), settings.metrics_token.encode()):
            return None
        return _unauthorized("the metrics token is not the one this server has (METRICS_TOKEN)"
                             if settings.metrics_token else
                             "this server has no METRICS_TOKEN, so no token opens /metrics; "
                             "ask from an address in METRICS_ALLOW")
    if _address_allowed(request.remote_addr, settings.metrics_allow):
        return None
    if settings.metrics_token:
        return _unauthorized("send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`")
    return json_error(403, "forbidden", f"your address {request.remote_addr} may not read /metrics; an operator can "
                                        "add it to METRICS_ALLOW or set METRICS_TOKEN and send it as a Bearer token")


def _unauthorized(message: str) -> Response:
    response = json_error(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@bp.get("/metrics")
def metrics():
    refused = refusal()
    if refused is not None:
        return refused
    # The classic text format (0.0.4), which every Prometheus version reads.
    body = exposition(current_app.extensions["catalog_pipeline_collector"])
    response = Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.wsgi_app = _StartClock(app.wsgi_app)
    app.teardown_request(_observe)
    app.extensions["catalog_pipeline_collector"] = PipelineCollector(app.config["SETTINGS"])
    app.register_blueprint(bp)
