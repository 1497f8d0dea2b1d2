"""Credential search: what a person asks becomes one OpenSearch request, and the answer a plain result.

Facets are disjunctive. Hits are narrowed by a `post_filter` that ANDs the selected facets (values
within one facet are ORed), while each facet's own counts come from an aggregation filtered by
every *other* facet's selection: ticking "Registered Nurses" narrows the hits and every other
facet's counts, but the occupation list still shows how many credentials each other occupation
would add. The same aggregation's doc_count is what the hit total would be without that facet's
selection, which is how a zero-result page can say "remove Skill: Active Listening (12 results)".

User text reaches OpenSearch only inside simple_query_string, match_phrase, multi_match, term and
prefix queries and the suggester's text, never query_string: quotes, brackets and operators either
mean what simple_query_string documents (`"exact phrase"`, `-word`, `a | b`, `nurs*`) or nothing,
and no input makes OpenSearch refuse the query. Text that looks like a code (`29-1141`, `51.3801`,
`62`) also matches the `codes` field, normalised exactly as documents store it.

Nothing here knows about HTTP: `parse_search_args` takes a mapping of lists (a query string) and
raises BadSearchRequest with a message a person can act on.
"""
from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from opensearchpy import OpenSearch

from indexer.codes import looks_like_code, normalize_code
from store.facts import CREDENTIAL_TYPES
from indexer.facets import (
    CODE_BOOSTS,
    DEFAULT_SIZE,
    FACETS,
    FUZZY_FIELDS,
    GROUP_CODE_FIELDS,
    HIGHLIGHT_FIELDS,
    MAX_FUZZY_WORDS,
    MAX_QUERY_CHARS,
    MAX_QUERY_WORDS,
    MAX_SIZE,
    MAX_VALUE_CHARS,
    MAX_VALUES_PER_FACET,
    MAX_WINDOW,
    NO_TEXT_SORT,
    PHRASE_BOOSTS,
    SORTS,
    SPELLING_FIELD,
    SPELLING_REVERSED,
    SPELLING_SHINGLES,
    TEXT_FIELDS,
)
from indexer.registry import INDICES

# The index's own analyzer for every text field: stop words ("the", "of") are dropped before they
# can become words that must match, even in fields whose analyzer keeps them (occupation_terms).
QUERY_ANALYZER = "english_folded"
# simple_query_string operators people may use. No FUZZY, NEAR or SLOP: `word~` expands into
# many clauses per field, and the clause limit is shared by the whole query.
TEXT_FLAGS = "AND|OR|NOT|PHRASE|PRECEDENCE|PREFIX|WHITESPACE|ESCAPE"
SOURCE_FIELDS = ["id", "name", "type", "issuer", "description", "delivery", "published_at",
                 "display.url", "display.occupations", "display.sectors", "display.skills"]
SUMMARY_CHARS = 240
FALLBACK_HITS = 5
HIGHLIGHT_TAGS = {"pre_tags": ["<mark>"], "post_tags": ["</mark>"]}


class BadSearchRequest(ValueError):
    """A search parameter that cannot be used; `message` says what to send instead."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param, self.message = param, message


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    size: int = DEFAULT_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def effective_sort(self) -> str:
        return NO_TEXT_SORT if self.sort == "relevance" and not self.q else self.sort

    def selected(self, facet: str) -> tuple[str, ...]:
        return tuple(self.filters.get(facet, ()))

    def without(self, facet: str) -> "SearchRequest":
        return replace(self, filters={k: v for k, v in self.filters.items() if k != facet}, page=1)


# --- reading a query string --------------------------------------------------------------------

# Control, format, private-use, surrogate and unassigned characters, and symbols such as emoji:
# the tokenizer keeps an emoji as a word, which every hit would then have to contain.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "So"}


def clean_text(text: str) -> str:
    """Dropped characters become spaces; runs of space become one."""
    return " ".join("".join(" " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in text).split())


def _first(args: Mapping[str, Sequence[str]], name: str) -> str:
    values = args.get(name) or []
    return values[0] if values else ""


def _whole_number(args, name: str, default: int, low: int, high: int | None) -> int:
    if not args.get(name):
        return default
    raw = _first(args, name).strip()
    allowed = f"from {low} to {high}" if high else f"({low} or more)"
    if not (raw.isascii() and raw.isdigit()):
        raise BadSearchRequest(name, f"{name} must be a whole number {allowed}, not {raw[:20]!r}")
    # Past 18 digits only "too large" matters, and int() of thousands of digits is slow or refused.
    value = int(raw) if len(raw) <= 18 else 10**18
    if value < low or (high is not None and value > high):
        raise BadSearchRequest(name, f"{name} must be a whole number {allowed}; got {value}")
    return value


def parse_search_args(args: Mapping[str, Sequence[str]]) -> SearchRequest:
    """A SearchRequest from query-string values (`{"q": ["nurse"], "skill": ["a", "b"]}`).

    Unknown parameters are ignored; a repeated facet parameter selects several values.
    """
    raw_q = _first(args, "q")
    if len(raw_q) > MAX_QUERY_CHARS:
        raise BadSearchRequest("q", f"q is {len(raw_q)} characters long; search with at most {MAX_QUERY_CHARS}")
    q = " ".join(clean_text(raw_q).split()[:MAX_QUERY_WORDS])

    sort = _first(args, "sort").strip() if args.get("sort") else "relevance"
    if sort not in SORTS:
        raise BadSearchRequest("sort", f"sort must be one of {', '.join(SORTS)}, not {sort[:40]!r}")
    size = _whole_number(args, "size", DEFAULT_SIZE, 1, MAX_SIZE)
    page = _whole_number(args, "page", 1, 1, None)
    if page * size > MAX_WINDOW:
        raise BadSearchRequest("page", f"only the first {MAX_WINDOW:,} results can be paged through; "
                                       f"page {page} of {size} would end at result {page * size:,}. "
                                       "Narrow the search with a facet instead")

    filters: dict[str, tuple[str, ...]] = {}
    for name in FACETS:
        raw = list(args.get(name) or [])
        if len(raw) > MAX_VALUES_PER_FACET:
            raise BadSearchRequest(name, f"select at most {MAX_VALUES_PER_FACET} values of {name}; got {len(raw)}")
        if any(len(v) > MAX_VALUE_CHARS for v in raw):
            raise BadSearchRequest(name, f"a {name} value is a code or id of at most {MAX_VALUE_CHARS} characters")
        # Empty values (`?occupation=`, left by a form) select nothing; repeats count once.
        values = tuple(dict.fromkeys(v.strip() for v in raw if v.strip()))
        if values:
            filters[name] = values
    return SearchRequest(q=q, filters=filters, sort=sort, page=page, size=size)


# --- building requests ---------------------------------------------------------------------------


def _boosted(fields: Mapping[str, float]) -> list[str]:
    return [f"{name}^{boost:g}" for name, boost in fields.items()]


# A "+" right after a letter, a digit or another such "+" is part of a word ("A+", "Network+"),
# which the index's analyzers read as the word and the word with "plus" ("network networkplus";
# mappings/credentials, plus_words); anywhere else it is simple_query_string's AND operator.
_WORD_PLUS = re.compile(r"(?<=[^\W_])\++")


def escape_word_plus(text: str) -> str:
    """Escape each "+" that belongs to a word (`A+` becomes `A\\+`): simple_query_string then hands
    it to the analyzer instead of reading it as an operator."""
    return _WORD_PLUS.sub(lambda m: "\\+" * len(m.group()), text)


def text_query(text: str, operator: str = "and") -> dict:
    """Every word (or, with operator "or", any word) in at least one text field."""
    return {"simple_query_string": {
        "query": escape_word_plus(text), "fields": _boosted(TEXT_FIELDS), "default_operator": operator,
        "analyzer": QUERY_ANALYZER, "flags": TEXT_FLAGS, "lenient": True,
    }}


def build_text_query(text: str) -> dict:
    if not text:
        return {"match_all": {}}
    query: dict = {"bool": {
        "must": [text_query(text)],
        "should": [{"match_phrase": {name: {"query": text, "slop": 1, "boost": boost}}}
                   for name, boost in PHRASE_BOOSTS.items()],
    }}
    if looks_like_code(text):
        code = normalize_code(text)
        query = {"bool": {"should": [
            {"term": {"codes": {"value": code, "boost": CODE_BOOSTS["exact"]}}},
            {"prefix": {"codes": {"value": code, "boost": CODE_BOOSTS["prefix"]}}},
            *({"term": {name: {"value": text, "boost": CODE_BOOSTS["exact"]}}} for name in GROUP_CODE_FIELDS),
            query,
        ], "minimum_should_match": 1}}
    return query


def relaxed_text_query(text: str) -> dict:
    """The nearest matches when nothing has every word: any word, or a word with a typo."""
    return {"bool": {"should": [
        text_query(text, operator="or"),
        {"multi_match": {"query": " ".join(text.split()[:MAX_FUZZY_WORDS]), "fields": _boosted(FUZZY_FIELDS),
                         "fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 10, "operator": "or"}},
    ], "minimum_should_match": 1}}


def facet_filter(name: str, values: Sequence[str]) -> dict:
    return {"terms": {FACETS[name].field: list(values)}}


def filters_clause(filters: Mapping[str, Sequence[str]], leave_out: str | None = None) -> dict:
    clauses = [facet_filter(name, values) for name, values in filters.items() if values and name != leave_out]
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def facet_aggregations(filters: Mapping[str, Sequence[str]]) -> dict:
    """Per facet: its top values under every other facet's selection, plus its selected values,
    which always come back (with their counts) even when they are not among the top ones."""
    aggs = {}
    for name, facet in FACETS.items():
        inner: dict = {"values": {"terms": {"field": facet.field, "size": facet.size}}}
        selected = list(filters.get(name, ()))
        if selected:
            inner["selected"] = {"terms": {"field": facet.field, "include": selected,
                                           "size": len(selected), "min_doc_count": 0}}
        aggs[name] = {"filter": filters_clause(filters, leave_out=name), "aggs": inner}
    return aggs


def build_search_query(request: SearchRequest) -> dict:
    body: dict = {
        "query": build_text_query(request.q),
        "aggs": facet_aggregations(request.filters),
        "sort": SORTS[request.effective_sort]["sort"],
        "from": request.offset,
        "size": request.size,
        "track_total_hits": True,
        "_source": SOURCE_FIELDS,
    }
    if any(request.filters.values()):
        body["post_filter"] = filters_clause(request.filters)
    if request.q:
        body["highlight"] = {"encoder": "html", **HIGHLIGHT_TAGS, "fields": HIGHLIGHT_FIELDS}
    return body


def build_spelling_query(text: str) -> dict:
    """A phrase suggestion for `text`, kept only if some credential has all of its words."""
    return {"size": 0, "suggest": {"text": " ".join(text.split()[:MAX_FUZZY_WORDS]), "did_you_mean": {"phrase": {
        "field": SPELLING_SHINGLES, "size": 1, "gram_size": 2, "max_errors": 2,
        "direct_generator": [
            {"field": SPELLING_FIELD, "suggest_mode": "always", "min_word_length": 3},
            # Candidates for words whose first letters are wrong ("flebotomy"): Lucene insists on
            # the first letter for a two-letter mistake, so this generator reads the words
            # backwards (the ES/OpenSearch docs' pre_filter/post_filter recipe).
            {"field": SPELLING_REVERSED, "suggest_mode": "always", "min_word_length": 3,
             "pre_filter": "folded_reversed", "post_filter": "folded_reversed"},
        ],
        "collate": {"query": {"source": {"match": {SPELLING_FIELD: {"query": "{{suggestion}}", "operator": "and"}}}}},
    }}}}


def build_fallback_queries(request: SearchRequest) -> dict[str, dict]:
    """What to ask when a search finds nothing: a spelling correction and the nearest matches."""
    if not request.q:
        return {}
    queries = {"any_words": {
        "query": relaxed_text_query(request.q),
        "post_filter": filters_clause(request.filters),
        "size": FALLBACK_HITS, "track_total_hits": True, "_source": SOURCE_FIELDS,
    }}
    if not looks_like_code(request.q):
        queries["spelling"] = build_spelling_query(request.q)
    return queries


def build_browse_query(facet_name: str) -> dict:
    facet = FACETS[facet_name]
    return {"size": 0, "track_total_hits": True,
            "aggs": {facet_name: {"terms": {"field": facet.field, "size": facet.size}}}}


# --- reading answers ---------------------------------------------------------------------------


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool = False
    label: str = ""

    def as_json(self) -> dict:
        return {"value": self.value, "label": self.label or self.value, "count": self.count, "selected": self.selected}


@dataclass
class FacetCounts:
    name: str
    values: list[FacetValue]
    # How many hits there would be if this facet's selection were dropped.
    total_without: int = 0


@dataclass
class SearchResult:
    request: SearchRequest
    total: int
    hits: list[dict]
    facets: dict[str, FacetCounts]
    took_ms: int = 0
    did_you_mean: str | None = None
    suggestions: list[dict] = field(default_factory=list)
    # The words the hits are for, when the typed ones found nothing and these, without the
    # qualifiers and noise words of the typed text, did ("Showing results for ...").
    showing_results_for: str | None = None

    def facet_values(self) -> dict[str, set[str]]:
        return {name: {v.value for v in counts.values} for name, counts in self.facets.items()}


def _summary(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) <= SUMMARY_CHARS:
        return text
    return text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def _id(value) -> int | str | None:
    """Document ids are strings; the APIs speak of credentials and organizations by number."""
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value


def parse_hit(hit: dict) -> dict:
    source = hit.get("_source", {})
    display = source.get("display") or {}
    highlight = hit.get("highlight") or {}
    issuer = source.get("issuer") or {}
    return {
        "id": _id(source.get("id") or hit["_id"]),
        "name": source.get("name", ""),
        "type": source.get("type") or None,
        "type_label": CREDENTIAL_TYPES.get(source.get("type") or "", source.get("type") or ""),
        "issuer": {"id": _id(issuer.get("id")), "name": issuer.get("name", "")},
        "occupations": display.get("occupations", []),
        "sectors": display.get("sectors", []),
        "skills": [{"code": s["code"], "label": s["label"]} for s in display.get("skills", [])],
        "delivery": source.get("delivery"),
        "website": display.get("url") or None,
        "summary": _summary(source.get("description", "")),
        "highlight": {name: fragments[0] for name, fragments in highlight.items() if fragments} or None,
    }


def _facet_counts(name: str, agg: dict, selected: Sequence[str]) -> FacetCounts:
    chosen = set(selected)
    values = [FacetValue(b["key"], b["doc_count"], b["key"] in chosen) for b in agg["values"]["buckets"]]
    seen = {v.value for v in values}
    selected_counts = {b["key"]: b["doc_count"] for b in agg.get("selected", {}).get("buckets", [])}
    # Selected values outside the top ones still appear, so they can be seen and unticked.
    values += [FacetValue(v, selected_counts.get(v, 0), True) for v in selected if v not in seen]
    return FacetCounts(name, values, agg.get("doc_count", 0))


def parse_search_response(resp: dict, request: SearchRequest) -> SearchResult:
    aggs = resp.get("aggregations", {})
    facets = {name: _facet_counts(name, aggs[name], request.selected(name)) for name in FACETS if name in aggs}
    return SearchResult(
        request=request,
        total=resp["hits"]["total"]["value"],
        hits=[parse_hit(h) for h in resp["hits"]["hits"]],
        facets=facets,
        took_ms=resp.get("took", 0),
    )


def apply_fallbacks(result: SearchResult, answers: dict[str, dict]) -> None:
    """Fill in did-you-mean and suggestions from the fallback answers (failed ones are skipped)."""
    request = result.request
    spelling = answers.get("spelling", {})
    for option in (spelling.get("suggest", {}).get("did_you_mean") or [{}])[0].get("options", []):
        if option.get("collate_match", True) and option["text"].casefold() != request.q.casefold():
            result.did_you_mean = option["text"]
            result.suggestions.append({"reason": "spelling", "q": option["text"]})
            break
    nearest = answers.get("any_words")
    if nearest and nearest.get("hits", {}).get("total", {}).get("value"):
        result.suggestions.append({
            "reason": "any_words", "q": request.q, "total": nearest["hits"]["total"]["value"],
            "hits": [parse_hit(h) for h in nearest["hits"]["hits"]],
        })
    for name, values in request.filters.items():
        counts = result.facets.get(name)
        if values and counts is not None and counts.total_without:
            result.suggestions.append({"reason": "remove_filter", "facet": name, "values": list(values),
                                       "total": counts.total_without})


# --- running it --------------------------------------------------------------------------------


def credentials_alias(index_prefix: str) -> str:
    return INDICES["credentials"].alias(index_prefix)


def search(client: OpenSearch, index_prefix: str, request: SearchRequest, timeout: float = 1.5) -> SearchResult:
    """Run a search; when it finds nothing, one more round trip asks for the nearest matches.

    `timeout` bounds the whole call. opensearchpy's errors propagate: the caller decides what a
    person sees when the search service is down.
    """
    started = time.monotonic()
    index = credentials_alias(index_prefix)
    resp = client.search(index=index, body=build_search_query(request), request_timeout=timeout)
    result = parse_search_response(resp, request)
    if result.total == 0:
        fallbacks = build_fallback_queries(request)
        remaining = timeout - (time.monotonic() - started)
        if fallbacks and remaining > 0.1:
            lines: list[dict] = []
            for body in fallbacks.values():
                lines += [{}, body]
            answers = client.msearch(index=index, body=lines, request_timeout=remaining)["responses"]
            apply_fallbacks(result, {name: answer for name, answer in zip(fallbacks, answers)
                                     if "error" not in answer})
        else:
            apply_fallbacks(result, {})
    return result


def browse(client: OpenSearch, index_prefix: str, facet_name: str, timeout: float = 1.5) -> tuple[int, list[FacetValue]]:
    """Every value of a facet with its count of published credentials, most first."""
    resp = client.search(index=credentials_alias(index_prefix), body=build_browse_query(facet_name),
                         request_timeout=timeout)
    buckets = resp["aggregations"][facet_name]["buckets"]
    return resp["hits"]["total"]["value"], [FacetValue(b["key"], b["doc_count"]) for b in buckets]
