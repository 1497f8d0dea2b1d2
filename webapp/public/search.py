"""Public pages: search, a credential, and the browse entry points. No login.

Everything a search page shows is decided by its URL (text, facet values, sort, page), so a page
can be bookmarked, shared and used without JavaScript: facet values are links that add or remove
themselves, and the search form carries the current filters as hidden fields. search.js only adds
suggestions while typing, the filter box inside a long facet, and submit-on-change for the sort.

The views build URLs and pick templates; the query itself is built in indexer.search, through the
same `run_search` (catalog/search/service.py) as the JSON API.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from math import ceil

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for
from opensearchpy.exceptions import TransportError
from sqlalchemy.exc import SQLAlchemyError

from indexer.client import web_client
from indexer.facets import BROWSE, DEFAULT_SIZE, FACETS, MAX_QUERY_CHARS, MAX_WINDOW, SORTS, Facet, label_values
from indexer.search import BadSearchRequest, FacetCounts, SearchRequest, SearchResult, browse
from catalog.imports.export import SEARCH_COLUMNS, SEARCH_CSV_MAX_ROWS, csv_lines, search_hit_row
from catalog.search.service import CredentialGone, CredentialNotFound, SearchUnavailable
from indexer.facets import MAX_SIZE
from webapp.searching import credential_url, hit_json, public_credential, request_from_args, search_now
from webapp.database import db
from webapp.public.ctdl import credential_jsonld, wants_jsonld

bp = Blueprint("search", __name__)

PAGE_WINDOW = 2  # page links shown either side of the current page


def search_params(req: SearchRequest) -> dict:
    """The query-string form of a request, defaults left out so URLs stay short."""
    params: dict = {}
    if req.q:
        params["q"] = req.q
    for name in FACETS:
        if req.selected(name):
            params[name] = list(req.selected(name))
    if req.sort != "relevance":
        params["sort"] = req.sort
    if req.size != DEFAULT_SIZE:
        params["size"] = req.size
    if req.page > 1:
        params["page"] = req.page
    return params


def search_url(req: SearchRequest) -> str:
    return url_for("search.search_page", **search_params(req))


def facet_url(facet: str, value: str) -> str:
    """A search for everything with one facet value: the links on credential and browse pages."""
    return search_url(SearchRequest(filters={facet: (value,)}))


@dataclass
class Chip:
    facet: Facet
    label: str
    remove_url: str


@dataclass
class SearchPage:
    """What search.html needs beyond the result: URLs for every change a person can make."""

    req: SearchRequest
    result: SearchResult | None = None

    def url(self, **changes) -> str:
        return search_url(replace(self.req, **changes))

    def toggle_url(self, facet: str, value: str) -> str:
        current = self.req.selected(facet)
        values = tuple(v for v in current if v != value) if value in current else (*current, value)
        return self.url(filters={**self.req.filters, facet: values}, page=1)

    def page_url(self, page: int) -> str:
        return self.url(page=page)

    def sort_url(self, sort: str) -> str:
        return self.url(sort=sort, page=1)

    def clear_url(self) -> str:
        return self.url(filters={}, page=1)

    @property
    def sorts(self) -> dict:
        return SORTS

    @property
    def default_size(self) -> int:
        return DEFAULT_SIZE

    @property
    def hits(self) -> list[dict]:
        return [hit_json(h) for h in self.result.hits] if self.result else []

    @property
    def nearest(self) -> list[dict]:
        """The "closest matches" a zero-result search offers, with page URLs on their hits."""
        if self.result is None:
            return []
        return [{**s, "hits": [hit_json(h) for h in s["hits"]]}
                for s in self.result.suggestions if s["reason"] == "any_words"]

    @property
    def facets(self) -> list[tuple[Facet, FacetCounts]]:
        if self.result is None:
            return []
        return [(FACETS[name], counts) for name, counts in self.result.facets.items()
                if counts.values or self.req.selected(name)]

    @property
    def chips(self) -> list[Chip]:
        labels = {}
        if self.result is not None:
            labels = {(name, v.value): v.label for name, c in self.result.facets.items() for v in c.values}
        return [Chip(FACETS[name], labels.get((name, value), value), self.toggle_url(name, value))
                for name in FACETS for value in self.req.selected(name)]

    @property
    def hidden_filters(self) -> list[tuple[str, str]]:
        """The current filters as form fields, so typing new text keeps them."""
        return [(name, value) for name in FACETS for value in self.req.selected(name)]

    @property
    def last_page(self) -> int:
        if self.result is None:
            return 1
        reachable = min(self.result.total, MAX_WINDOW)
        return max(1, ceil(reachable / self.req.size))

    @property
    def pages(self) -> list[int]:
        low = max(1, self.req.page - PAGE_WINDOW)
        high = min(self.last_page, self.req.page + PAGE_WINDOW)
        return list(range(low, high + 1))

    @property
    def first_shown(self) -> int:
        return self.req.offset + 1

    @property
    def last_shown(self) -> int:
        return self.req.offset + len(self.result.hits) if self.result else 0

    def suggestion_url(self, suggestion: dict) -> str:
        if suggestion["reason"] == "remove_filter":
            return self.url(filters={k: v for k, v in self.req.filters.items() if k != suggestion["facet"]}, page=1)
        return self.url(q=suggestion["q"], page=1)

    def facet_title(self, name: str) -> str:
        return FACETS[name].title

    def csv_url(self) -> str:
        """The same search as CSV: every page of it, up to SEARCH_CSV_MAX_ROWS rows."""
        return url_for("search.search_csv", **{k: v for k, v in search_params(self.req).items()
                                               if k not in ("page", "size")})


def message_page(status: int, title: str, message: str, **context):
    return render_template("search/message.html", title=title, message=message, status=status, **context), status


def unavailable(message: str):
    return message_page(503, "Search is temporarily unavailable",
                        f"{message[:1].upper()}{message[1:]}. The catalog itself is fine; "
                        "searching should work again shortly.")


@bp.get("/search")
def search_page():
    try:
        req = request_from_args()
    except BadSearchRequest as exc:
        # Keep what can be kept (the text) so the person can fix the search in place.
        fallback = SearchRequest(q=request.args.get("q", "")[:MAX_QUERY_CHARS])
        return render_template("search/search.html", page=SearchPage(fallback), problem=exc.message), 400
    try:
        result = search_now(req)
    except SearchUnavailable as exc:
        return unavailable(exc.message)
    return render_template("search/search.html", page=SearchPage(req, result), problem=None)


@bp.get("/search.csv")
def search_csv():
    """The results of a search (the same parameters as /search) as CSV, streamed a page at a time
    and capped at SEARCH_CSV_MAX_ROWS rows. Published credentials only: it reads the public index."""
    try:
        req = replace(request_from_args(), page=1, size=MAX_SIZE)
    except BadSearchRequest as exc:
        return Response(exc.message + "\n", status=400, mimetype="text/plain")
    try:
        first = search_now(req)  # before streaming starts, so a failure is still a proper 503
    except SearchUnavailable as exc:
        return Response(exc.message + "\n", status=503, mimetype="text/plain")
    root = request.url_root.rstrip("/")

    def rows():
        result, page, sent = first, 1, 0
        while result.hits:
            for hit in result.hits:
                if sent >= SEARCH_CSV_MAX_ROWS:
                    return
                yield search_hit_row(hit, root + credential_url(hit["id"]))
                sent += 1
            if sent >= min(result.total, SEARCH_CSV_MAX_ROWS):
                return
            page += 1
            try:
                result = search_now(replace(req, page=page))
            except SearchUnavailable:
                return  # the rows sent so far stand; a partial download is better than a broken one

    headers = {"Content-Disposition": 'attachment; filename="search-results.csv"',
               "X-Total-Results": str(first.total), "X-Max-Rows": str(SEARCH_CSV_MAX_ROWS)}
    return Response(stream_with_context(csv_lines(rows(), SEARCH_COLUMNS)), mimetype="text/csv", headers=headers)


@bp.get("/credentials/<id:credential_id>")
def credential_page(credential_id: int):
    if wants_jsonld():  # the same address answers CTDL JSON-LD (webapp/public/ctdl.py)
        return credential_jsonld(credential_id)
    try:
        credential = public_credential(credential_id)
    except CredentialNotFound:
        return message_page(404, "Credential not found",
                            "No published credential has this address. It may never have been "
                            "published, or the link may be mistyped.")
    except CredentialGone as exc:
        return message_page(410, f"{exc.name} is no longer offered",
                            "Its issuer archived this credential, so it is no longer listed in the "
                            "catalog. Search for a current one instead.", query=exc.name)
    return render_template("search/credential.html", credential=credential, facet_url=facet_url)


BROWSE_PAGES = {
    "occupations": {"title": "Browse by occupation group",
                    "intro": "Credentials grouped by the major groups of the Standard Occupational "
                             "Classification (SOC 2018)."},
    "sectors": {"title": "Browse by industry sector",
                "intro": "Credentials grouped by the sectors of the North American Industry "
                         "Classification System (NAICS 2022)."},
}


@bp.get("/browse/<kind>")
def browse_page(kind: str):
    if kind not in BROWSE:
        abort(404)
    facet_name = BROWSE[kind]
    settings = current_app.config["SETTINGS"]
    try:
        total, values = browse(web_client(settings.opensearch_url, settings.web_timeout),
                               settings.index_prefix, facet_name, timeout=settings.web_timeout)
    except TransportError as exc:  # connection errors and timeouts included
        current_app.logger.warning("browse %s: %s", kind, exc)
        return unavailable("browsing is temporarily unavailable")
    try:
        labels = label_values(db(), {facet_name: [v.value for v in values]})[facet_name]
    except SQLAlchemyError as exc:
        current_app.logger.error("browse %s: could not read labels: %s", kind, exc)
        labels = {}
    groups = sorted(
        ({"code": v.value, "label": labels.get(v.value, v.value), "count": v.count,
          "url": facet_url(facet_name, v.value)} for v in values),
        key=lambda g: g["label"].casefold(),
    )
    return render_template("search/browse.html", kind=kind, groups=groups, total=total,
                           other=next(k for k in BROWSE if k != kind), **BROWSE_PAGES[kind])

