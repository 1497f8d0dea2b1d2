"""The public JSON API: search and published credentials. No login; rate-limited per client (limits.py).

GET /api/v1/search?q=&occupation=&sector=&skill=&type=&issuer=&delivery=&cip=&sort=&page=&size=
    Repeat a facet parameter to select several values: values of one facet are ORed, facets are
    ANDed. Unknown parameters are ignored. q may be at most 256 characters (longer is refused, not
    cut: it is almost always a paste by mistake); words after the 32nd are ignored. When nothing
    matches, the answer adds `did_you_mean` and `suggestions` (nearest matches, filters to drop).
GET /api/v1/credentials/<id>
    A published credential's public fields. Drafts, unknown ids and credentials archived without
    ever being published are 404; archived ones are 410, named as they were last published.

Errors are JSON `{"error", "message"}`: 400 for a parameter that cannot be used, 503 when the
search service is down or slow (the OpenSearch client gives up after settings.web_timeout, so
the answer comes within 2 s), 429 from the rate limiter.

The HTML pages (webapp/public/search.py) call the same `run_search` and `load_public_credential`
(catalog/search/service.py), so the page and the API can never disagree.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from catalog.search.service import CredentialGone, CredentialNotFound, SearchUnavailable
from indexer.search import BadSearchRequest
from webapp.errors import json_error
from webapp.searching import public_credential, request_from_args, search_json, search_now

bp = Blueprint("api_public", __name__, url_prefix="/api/v1")


@bp.get("/search")
def search_api():
    try:
        search_request = request_from_args()
    except BadSearchRequest as exc:
        return json_error(400, "bad_request", exc.message, param=exc.param)
    try:
        result = search_now(search_request)
    except SearchUnavailable as exc:
        return json_error(503, "search_unavailable", exc.message)
    return jsonify(search_json(result))


@bp.get("/credentials/<id:credential_id>")
def credential_api(credential_id: int):
    try:
        return jsonify(public_credential(credential_id))
    except CredentialNotFound:
        return json_error(404, "not_found", f"no published credential has the id {credential_id}")
    except CredentialGone as exc:
        return json_error(410, "gone", f"{exc.name!r} was archived by its issuer and is no longer offered")
