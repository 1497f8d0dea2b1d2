"""GET /api/v1/suggest/<target>: what the crosswalks suggest for codes an editor already chose.

  /api/v1/suggest/skills?occupation=51-4121.00&occupation=...    skills for O*NET-SOC occupations
  /api/v1/suggest/occupations?cip=51.3801&cip=...                occupations for CIP programmes
  /api/v1/suggest/programs?occupation=29-1141.00                 CIP programmes for occupations

Codes may repeat the parameter or be comma-separated; `size` (1-50, default 20) and `exclude`
(ids to leave out, e.g. what is already chosen) work as in autocomplete. The answer is
`{"items": [{"id", "label", "kind", "scheme", "score", "because": [...]}]}`, best first.
The same errors as autocomplete: 400 with a message for a malformed or unknown code or a bad
size, 404 for an unknown target, 503 when the search service is down or slow. Public, no login.
The domain rules live in catalog.suggest; this module only speaks HTTP.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from catalog.suggest import DEFAULT_SIZE, TARGETS, SuggestionInputError, suggest
from indexer.client import web_client
from indexer.suggest import MAX_SIZE
from webapp.database import db
from webapp.errors import json_error

bp = Blueprint("suggest", __name__, url_prefix="/api/v1/suggest")


def _values(name: str) -> list[str]:
    return [part.strip() for value in request.args.getlist(name) for part in value.split(",") if part.strip()]


def _size() -> int | Response:
    raw = request.args.get("size", "").strip()
    if not raw:
        return DEFAULT_SIZE
    try:
        size = int(raw)
    except ValueError:
        return json_error(400, "bad_request", f"size must be a whole number from 1 to {MAX_SIZE}, not {raw[:20]!r}")
    if size < 1:
        return json_error(400, "bad_request", f"size must be a whole number from 1 to {MAX_SIZE}")
    return min(size, MAX_SIZE)


@bp.get("/<target>")
def suggestions(target: str):
    if target not in TARGETS:
        return json_error(404, "not_found", f"unknown suggestion target {target[:40]!r}; use one of {', '.join(TARGETS)}")
    size = _size()
    if isinstance(size, Response):
        return size
    settings = current_app.config["SETTINGS"]
    client = web_client(settings.opensearch_url, settings.web_timeout)
    try:
        items = suggest(db(), client, settings.index_prefix, target, _values(TARGETS[target].parameter), size,
                        _values("exclude"), timeout=settings.web_timeout)
    except SuggestionInputError as exc:
        return json_error(400, "bad_request", str(exc))
    except NotFoundError:
        return json_error(503, "search_unavailable", f"the {TARGETS[target].returns} index is not built yet; an operator "
                          f"can run `catalog index reindex {TARGETS[target].returns}`")
    except SearchConnectionError:
        current_app.logger.warning("suggest: OpenSearch at %s is unreachable or slow", settings.opensearch_url)
        return json_error(503, "search_unavailable", "search is unavailable right now; try again in a moment")
    except TransportError as exc:
        current_app.logger.error("suggest %s failed: %s", target, exc)
        return json_error(503, "search_unavailable", "search could not answer right now; try again in a moment")
    response = jsonify({"items": items})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
