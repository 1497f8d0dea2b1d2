"""GET /api/v1/autocomplete/<vocabulary>?q=TEXT&size=N: suggestions for the editor's pickers.

`vocabulary` is occupations, sectors, programs, skills or credentials (published credentials, for
"related credential" fields). The answer is `{"query", "total", "items": [{"id", "code", "label",
"scheme", "matched"}]}`; `matched` is the alternate title or code that matched when the label did
not ("RN" for Registered Nurses). `exclude` (repeatable, or comma-separated) leaves ids out, so a
picker need not offer what is already chosen. `from` skips that many matches, so a keyword list
can show every match a page at a time ("Show more"): ask for `from=50&size=50` after the first 50.
Sectors leave out a NAICS level named exactly like the level above it (4931 under 493) unless a
code is typed; each sector says its `level`. Credentials are also found by what they are about
(keywords, occupations, CIP programmes, description), after every name match, and `about` says how.

The data is public, so no login is needed. Errors are JSON `{"error", "message"}`: 400 for a bad
`q` or `size`, 404 for an unknown vocabulary, 503 when the search service is down or slow. The
OpenSearch client gives up after the settings' web timeout, so a hung node answers 503 in under 2 s.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from opensearchpy.exceptions import TransportError

from indexer.autocomplete import MAX_OFFSET, MAX_SIZE, MAX_TEXT, TARGETS, suggest
from indexer.client import web_client
from indexer.registry import VOCABULARIES
from webapp.api.params import listed, offset_arg, search_unavailable, size_arg
from webapp.errors import json_error

bp = Blueprint("autocomplete", __name__, url_prefix="/api/v1/autocomplete")

DEFAULT_SIZE = 10
# Vocabularies change only when an operator imports a taxonomy, so browsers and proxies may keep
# an answer for a minute; published credentials change whenever someone publishes.
CACHE_CONTROL = {vocabulary: "public, max-age=60" for vocabulary in VOCABULARIES} | {"credentials": "no-cache"}


@bp.get("/<vocabulary>")
def autocomplete(vocabulary: str):
    if vocabulary not in TARGETS:
        return json_error(404, "not_found", f"unknown vocabulary {vocabulary[:40]!r}; use one of {', '.join(TARGETS)}")
    text = request.args.get("q", "")
    if len(text) > MAX_TEXT:
        return json_error(400, "bad_request", f"q is {len(text)} characters long; type at most {MAX_TEXT}")
    size = size_arg(DEFAULT_SIZE, MAX_SIZE)
    if isinstance(size, Response):
        return size
    offset = offset_arg(MAX_OFFSET)
    if isinstance(offset, Response):
        return offset
    settings = current_app.config["SETTINGS"]
    client = web_client(settings.opensearch_url, settings.web_timeout)
    try:
        result = suggest(client, settings.index_prefix, vocabulary, text, size, listed("exclude"),
                         timeout=settings.web_timeout, offset=offset)
    except TransportError as exc:
        return search_unavailable(exc, vocabulary, f"autocomplete {vocabulary} {text[:40]!r}")
    response = jsonify(result.as_json())
    response.headers["Cache-Control"] = CACHE_CONTROL[vocabulary]
    return response
