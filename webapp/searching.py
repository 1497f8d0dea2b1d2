"""The web side of search, shared by the JSON API (webapp/api/public.py) and the pages
(webapp/public/search.py): reading a request, running catalog.search with this app's settings and
this request's session, and putting URLs on what comes back."""
from __future__ import annotations

from flask import current_app, request, url_for

from catalog.search.service import load_public_credential, run_search
from indexer.search import SearchRequest, SearchResult, parse_search_args
from webapp.database import db


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
    if result.showing_results_for:
        body["showing_results_for"] = result.showing_results_for
    if result.total == 0:
        body["did_you_mean"] = result.did_you_mean
        body["suggestions"] = [
            {**s, "hits": [hit_json(h) for h in s["hits"]]} if "hits" in s else s for s in result.suggestions
        ]
    return body


def public_credential(credential_id: int) -> dict:
    """`load_public_credential` with the URLs of the credential and of the ones it links to."""
    credential = load_public_credential(db(), credential_id)
    for item in credential["related"] + credential["required"]:
        if item["id"] is not None:
            item["url"] = credential_url(item["id"])
    credential["url"] = credential_url(credential["id"])
    return credential
