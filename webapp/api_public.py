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

The HTML pages (search_views.py) call the same `run_search` and `load_public_credential`, so the
page and the API can never disagree.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError
from sqlalchemy.exc import SQLAlchemyError

from indexer.client import web_client
from indexer.documents import CREDENTIAL_TYPES, DELIVERY_MODES, Lookups, build_credential_document
from indexer.facets import label_values
from indexer.search import BadSearchRequest, SearchRequest, SearchResult, parse_search_args, search
from indexer.sources import load_credentials
from store.models import MAX_ID, Credential, Status
from store.taxonomy import bound_scheme, concept_labels
from webapp.database import db

bp = Blueprint("api_public", __name__, url_prefix="/api/v1")

# Names for the language codes credentials are most often offered in; others show as the code.
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese",
                  "zh": "Chinese", "vi": "Vietnamese", "ko": "Korean", "ar": "Arabic", "ru": "Russian",
                  "tl": "Tagalog", "ht": "Haitian Creole"}


class SearchUnavailable(Exception):
    """OpenSearch is down, slow or has no credentials index; `message` is for the person waiting."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CredentialNotFound(Exception):
    pass


class CredentialGone(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def api_error(status: int, error: str, message: str, **extra) -> Response:
    response = jsonify(error=error, message=message, **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


# --- search ----------------------------------------------------------------------------------


def request_from_args() -> SearchRequest:
    return parse_search_args(request.args.to_dict(flat=False))


def run_search(search_request: SearchRequest) -> SearchResult:
    """Search, then put labels on the facet values. Raises SearchUnavailable."""
    settings = current_app.config["SETTINGS"]
    client = web_client(settings.opensearch_url, settings.web_timeout)
    try:
        result = search(client, settings.index_prefix, search_request, timeout=settings.web_timeout)
    except NotFoundError as exc:
        current_app.logger.error("search: no credentials index under %r: %s", settings.index_prefix, exc)
        raise SearchUnavailable("search is not set up yet; an operator can run "
                                "`catalog index reindex credentials`") from exc
    except SearchConnectionError as exc:
        current_app.logger.warning("search: OpenSearch at %s is unreachable or slow: %s", settings.opensearch_url, exc)
        raise SearchUnavailable("search is temporarily unavailable; try again in a moment") from exc
    except TransportError as exc:
        current_app.logger.error("search %r failed: %s", search_request, exc)
        raise SearchUnavailable("search could not answer right now; try again in a moment") from exc
    label_facets(result)
    return result


def label_facets(result: SearchResult) -> None:
    """Labels for facet values come from the database, so a relabelled taxonomy shows at once.
    Without the database the codes themselves are shown: a search still beats an error page."""
    try:
        labels = label_values(db(), result.facet_values())
    except SQLAlchemyError as exc:
        current_app.logger.error("search: could not read facet labels: %s", exc)
        labels = {}
    for name, counts in result.facets.items():
        for value in counts.values:
            value.label = labels.get(name, {}).get(value.value, value.value)


def hit_json(hit: dict) -> dict:
    return {**hit, "url": url_for("search.credential_page", credential_id=hit["id"])}


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


@bp.get("/search")
def search_api():
    try:
        search_request = request_from_args()
    except BadSearchRequest as exc:
        return api_error(400, "bad_request", exc.message, param=exc.param)
    try:
        result = run_search(search_request)
    except SearchUnavailable as exc:
        return api_error(503, "search_unavailable", exc.message)
    return jsonify(search_json(result))


# --- one credential --------------------------------------------------------------------------


def _lookups(session, credential: Credential) -> Lookups:
    """Only the concepts this credential names. (indexer.sources.LookupLoader loads the whole
    sector scheme to walk up to roots for search; a page shows labels and needs none of that.)"""
    def vocabulary(name: str, codes) -> dict:
        return concept_labels(session, bound_scheme(session, name), codes)

    cips = set(credential.cip_codes or []) | {r.external_cip for r in credential.relations if r.external_cip}
    cips |= {p.cip_code for p in credential.programs if p.cip_code}
    return Lookups(
        occupations=vocabulary("occupations", [o.code for o in credential.occupations]),
        sectors=vocabulary("sectors", [s.code for s in credential.sectors]),
        skills=vocabulary("skills", [s.skill_code for s in credential.skills]),
        programs=vocabulary("programs", cips),
    )


def _relation_json(item: dict) -> dict:
    if "id" in item:
        return {"id": item["id"], "name": item["name"],
                "url": url_for("search.credential_page", credential_id=item["id"])}
    return {"id": None, "name": item.get("name") or "", "cip": item.get("cip") or "",
            "cip_label": item.get("cip_label") or "", "type": item.get("type") or "",
            "type_label": CREDENTIAL_TYPES.get(item.get("type") or "", item.get("type") or "")}


def load_public_credential(raw_id: str) -> dict:
    """The public view of a published credential. Raises CredentialNotFound (drafts too: their
    existence is not public) or CredentialGone (archived)."""
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 12 or not 0 < int(raw_id) <= MAX_ID:
        raise CredentialNotFound(raw_id)
    session = db()
    credential = load_credentials(session, [int(raw_id)]).get(int(raw_id))
    if credential is None or credential.status == Status.draft.value:
        raise CredentialNotFound(raw_id)
    if credential.status == Status.archived.value:
        raise CredentialGone(credential.name)
    # The search document is the public record: one builder decides what the public sees.
    doc = build_credential_document(credential, _lookups(session, credential))
    display = doc["display"]
    related = [_relation_json(r) for r in display["related"] if r["kind"] != "required"]
    required = [_relation_json(r) for r in display["related"] if r["kind"] == "required"]
    return {
        "id": credential.id,
        "name": doc["name"],
        "alternate_names": doc["alternate_names"],
        "description": doc["description"],
        "type": doc["type"] or None,
        "type_label": CREDENTIAL_TYPES.get(doc["type"] or "", doc["type"] or ""),
        "issuer": {"id": credential.org_id, "name": doc["issuer"]["name"]},
        "website": display["url"] or None,
        "language": doc["language"],
        "language_label": LANGUAGE_NAMES.get(doc["language"] or "", doc["language"] or ""),
        "lifecycle": doc["lifecycle"],
        "delivery": doc["delivery"],
        "delivery_label": DELIVERY_MODES.get(doc["delivery"] or "", ""),
        "cost": display["cost"],
        "duration": display["duration"],
        "keywords": doc["keywords"],
        "occupations": display["occupations"],
        "sectors": display["sectors"],
        "skills": display["skills"],
        "cip": display["cip"],
        "programs": [{**p, "delivery_label": DELIVERY_MODES.get(p["delivery"] or "", "")}
                     for p in display["programs"]],
        "related": related,
        "required": required,
        "published_at": doc["published_at"],
        "updated_at": doc["updated_at"],
        "url": url_for("search.credential_page", credential_id=credential.id),
    }


@bp.get("/credentials/<credential_id>")
def credential_api(credential_id: str):
    try:
        return jsonify(load_public_credential(credential_id))
    except CredentialNotFound:
        return api_error(404, "not_found", f"no published credential has the id {credential_id[:20]!r}")
    except CredentialGone as exc:
        return api_error(410, "gone", f"{exc.name!r} was archived by its issuer and is no longer offered")

