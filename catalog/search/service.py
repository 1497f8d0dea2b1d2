"""Public search and published credentials: the read side behind the JSON API and the HTML pages.

Both call these functions, so the page and the API can never disagree. They take settings and a
session rather than a request; the web layer adds URLs and turns the exceptions into 4xx/503.
"""
from __future__ import annotations

import logging
from dataclasses import replace

from opensearchpy.exceptions import ConnectionError as SearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from indexer.autocomplete import suggest
from indexer.client import web_client
from indexer.relaxed import clean_text, fold
from indexer.documents import Lookups, build_credential_document
from indexer.facets import label_values
from indexer.metrics import count_opensearch_error
from indexer.search import SearchRequest, SearchResult, search
from indexer.sources import load_credentials
from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES, LANGUAGES
from store.ids import parse_id
from store.models import Credential, Status
from store.settings import Settings
from store.vocabulary import bound_scheme, concept_labels

log = logging.getLogger(__name__)


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


# --- search ----------------------------------------------------------------------------------


# How many occupations and programmes a zero-result page offers to browse by.
CLOSEST = 5


def run_search(settings: Settings, session: Session, search_request: SearchRequest) -> SearchResult:
    """Search, then put labels on the facet values. Raises SearchUnavailable.

    A search that finds nothing never ends there: first the text without its qualifiers and noise
    words ("Phlebotomy Technician Program Evening" -> "phlebotomy technician") is tried, and its
    hits are shown "for" those words; when that finds nothing either, the answer suggests the
    closest occupations and programmes (autocomplete's relaxed tiers) to browse by, beside
    did-you-mean, the any-word matches and the filters to remove."""
    client = web_client(settings.opensearch_url, settings.web_timeout)
    try:
        result = search(client, settings.index_prefix, search_request, timeout=settings.web_timeout)
        if result.total == 0 and search_request.q:
            result = _relaxed(client, settings, search_request, result)
    except NotFoundError as exc:
        count_opensearch_error("search", exc)
        log.error("search: no credentials index under %r: %s", settings.index_prefix, exc)
        raise SearchUnavailable("search is not set up yet; an operator can run "
                                "`catalog index reindex credentials`") from exc
    except SearchConnectionError as exc:
        count_opensearch_error("search", exc)
        log.warning("search: OpenSearch at %s is unreachable or slow: %s", settings.opensearch_url, exc)
        raise SearchUnavailable("search is temporarily unavailable; try again in a moment") from exc
    except TransportError as exc:
        count_opensearch_error("search", exc)
        log.error("search %r failed: %s", search_request, exc)
        raise SearchUnavailable("search could not answer right now; try again in a moment") from exc
    label_facets(session, result)
    return result


def _relaxed(client, settings: Settings, search_request: SearchRequest, result: SearchResult) -> SearchResult:
    cleaned = clean_text(search_request.q)
    if cleaned and cleaned != fold(search_request.q):
        retry = search(client, settings.index_prefix, replace(search_request, q=cleaned), timeout=settings.web_timeout)
        if retry.total:
            retry.showing_results_for = cleaned
            return retry
    for vocabulary, facet in (("occupations", "occupation"), ("programs", "cip")):
        try:
            closest = suggest(client, settings.index_prefix, vocabulary, search_request.q, CLOSEST,
                              timeout=settings.web_timeout)
        except TransportError as exc:  # the page still has the other ways on
            log.warning("search: closest %s for %r failed: %s", vocabulary, search_request.q, exc)
            continue
        if closest.items:
            result.suggestions.append({"reason": f"closest_{vocabulary}", "facet": facet, "items": [
                {"code": item["code"], "label": item["label"], "matched": item["matched"], "via": item["via"]}
                for item in closest.items]})
    return result


def label_facets(session: Session, result: SearchResult) -> None:
    """Labels for facet values come from the database, so a relabelled taxonomy shows at once.
    Without the database the codes themselves are shown: a search still beats an error page."""
    try:
        labels = label_values(session, result.facet_values())
    except SQLAlchemyError as exc:
        log.error("search: could not read facet labels: %s", exc)
        labels = {}
    for name, counts in result.facets.items():
        for value in counts.values:
            value.label = labels.get(name, {}).get(value.value, value.value)


# --- one credential --------------------------------------------------------------------------


def _lookups(session: Session, credential: Credential) -> Lookups:
    """Only the concepts this credential names. (indexer.sources.LookupLoader loads the whole
    sector scheme to walk up to roots for search; a page shows labels and needs none of that.)"""
    def vocabulary(name: str, codes) -> dict:
        return concept_labels(session, bound_scheme(session, name), codes)

    cips = {c.code for c in credential.cips} | {r.external_cip for r in credential.relations if r.external_cip}
    cips |= {p.cip_code for p in credential.programs if p.cip_code}
    return Lookups(
        occupations=vocabulary("occupations", [o.code for o in credential.occupations]),
        sectors=vocabulary("sectors", [s.code for s in credential.sectors]),
        skills=vocabulary("skills", [s.skill_code for s in credential.skills]),
        programs=vocabulary("programs", cips),
    )


def _relation(item: dict) -> dict:
    if "id" in item:
        return {"id": item["id"], "name": item["name"]}
    return {"id": None, "name": item.get("name") or "", "cip": item.get("cip") or "",
            "cip_label": item.get("cip_label") or "", "type": item.get("type") or "",
            "type_label": CREDENTIAL_TYPES.get(item.get("type") or "", item.get("type") or "")}


def parse_credential_id(raw_id: int | str) -> int:
    """The id in a public URL, or CredentialNotFound for anything that cannot be one."""
    credential_id = parse_id(raw_id)
    if credential_id is None:
        raise CredentialNotFound(raw_id)
    return credential_id


def load_public_credential(session: Session, raw_id: int | str) -> dict:
    """The public view of a published credential.

    Raises CredentialNotFound for drafts and for archived credentials that were never published
    (their existence is not public, and ids are sequential), and CredentialGone for archived
    ones, with the name they had when last published: a later draft rename is not public.
    """
    credential_id = parse_credential_id(raw_id)
    credential = load_credentials(session, [credential_id]).get(credential_id)
    if credential is None or credential.status == Status.draft.value:
        raise CredentialNotFound(raw_id)
    if credential.status == Status.archived.value:
        if credential.last_published_name is None:
            raise CredentialNotFound(raw_id)
        raise CredentialGone(credential.last_published_name)
    # The search document is the public record: one builder decides what the public sees.
    doc = build_credential_document(credential, _lookups(session, credential))
    display = doc["display"]
    related = [_relation(r) for r in display["related"] if r["kind"] != "required"]
    required = [_relation(r) for r in display["related"] if r["kind"] == "required"]
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
        "language_label": LANGUAGES.get(doc["language"] or "", doc["language"] or ""),
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
    }
