"""The public JSON API: search and published credentials. No login; rate-limited per client (limits.py).

GET /api/v1/search?q=&occupation=&sector=&skill=&type=&issuer=&delivery=&cip=&sort=&page=&size=
    Repeat a facet parameter to select several values: values of one facet are ORed, facets are
    ANDed. Unknown parameters are ignored. q may be at most 256 characters (longer is refused, not
    cut: it is almost always a paste by mistake); words after the 32nd are ignored. When nothing
    matches, the answer adds `did_you_mean` and `suggestions` (nearest matches, filters to drop).
GET /api/v1/credentials/<id>
    A published credential's public fields. Drafts and unknown ids are 404, archived ones 410.

Errors are JSON `{"error", "message"}`: 400 for a parameter that cannot be used, 503 when the
search service is down or slow (the OpenSearch client gives up after settings.web_timeout, so
the answer comes within 2 s), 429 from the rate limiter.

The HTML pages (webapp/public/search.py) call the same `run_search` and `load_public_credential`
(catalog/search/service.py), so the page and the API can never disagree.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from catalog.search.service import (
    CredentialGone,
    CredentialNotFound,
    SearchUnavailable,
    load_public_credential,
    run_search,
)
from indexer.search import BadSearchRequest, SearchRequest, SearchResult, parse_search_args
from webapp.database import db
from webapp.errors import json_error

bp = Blueprint("api_public", __name__, url_prefix="/api/v1")


def request_from_args() -> SearchRequest:
    return parse_search_args(request.args.to_dict(flat=False))


def search_now(search_request: SearchRequest) -> SearchResult:
    """`run_search` with this app's settings and this request's session."""
    return run_search(current_app.config["SETTINGS"], db(), search_request)


def credential_url(credential_id) -> str:
    return url_for("search.credential_page", credential_id=credential_id)


def hit_json(hit: dict) -> dict:
    return {**hit, "url": credential_url(hit["id"])}


def search_json(result: SearchResult) -> dict:
    req = result.request
    body = {
        "total": result.total,
        "page": req.page,
        "size": req.size,
        "sort": req.sort,
        "q": req.q,
        "hits": [hit_json(h) for h in result.hits],
        "facets": {name: [v.as_json() for v in counts.values] for name, counts in result.facets.items()},
    }
    if result.total == 0:
        body["did_you_mean"] = result.did_you_mean
        body["suggestions"] = [
            {**s, "hits": [hit_json(h) for h in s["hits"]]} if "hits" in s else s for s in result.suggestions
        ]
    return body


def public_credential(raw_id: str) -> dict:
    """`load_public_credential` with the URLs of the credential and of the ones it links to."""
    credential = load_public_credential(db(), raw_id)
    for item in credential["related"] + credential["required"]:
        if item["id"] is not None:
            item["url"] = credential_url(item["id"])
    credential["url"] = credential_url(credential["id"])
    return credential


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


@bp.get("/credentials/<credential_id>")
def credential_api(credential_id: str):
    try:
        return jsonify(public_credential(credential_id))
    except CredentialNotFound:
        return json_error(404, "not_found", f"no published credential has the id {credential_id[:20]!r}")
    except CredentialGone as exc:
        return json_error(410, "gone", f"{exc.name!r} was archived by its issuer and is no longer offered")
