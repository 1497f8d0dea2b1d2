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

from flask import Blueprint, Response, current_app, jsonify
from opensearchpy.exceptions import TransportError

from catalog.suggest import DEFAULT_SIZE, TARGETS, SuggestionInputError, suggest
from indexer.client import web_client
from indexer.suggest import MAX_SIZE
from webapp.api.params import listed, search_unavailable, size_arg
from webapp.database import db
from webapp.errors import json_error

bp = Blueprint("suggest", __name__, url_prefix="/api/v1/suggest")


@bp.get("/<target>")
def suggestions(target: str):
    if target not in TARGETS:
        return json_error(404, "not_found", f"unknown suggestion target {target[:40]!r}; use one of {', '.join(TARGETS)}")
    size = size_arg(DEFAULT_SIZE, MAX_SIZE)
    if isinstance(size, Response):
        return size
    settings = current_app.config["SETTINGS"]
    client = web_client(settings.opensearch_url, settings.web_timeout)
    try:
        items = suggest(db(), client, settings.index_prefix, target, listed(TARGETS[target].parameter), size,
                        listed("exclude"), timeout=settings.web_timeout)
    except SuggestionInputError as exc:
        return json_error(400, "bad_request", str(exc))
    except TransportError as exc:
        return search_unavailable(exc, TARGETS[target].returns, f"suggest {target}")
    response = jsonify({"items": items})
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
