"""Autocomplete's query: the search body for a typed text, from the target's profile and tiers.

User text reaches OpenSearch only inside match, match_phrase, term and prefix queries (see
Tier.clause), never query_string, so no character the user types can become query syntax.
"""
from __future__ import annotations

from typing import Iterable

from indexer.autocomplete.profiles import TARGETS, TOPICS, Profile
from indexer.autocomplete.tiers import MAX_EXCLUDE, MAX_OFFSET, MAX_SIZE, MAX_TEXT, MIN_CHARS, Typos
from indexer.codes import looks_like_code

# Highlight marks from Unicode's private use area, which no label or title contains.
MARK_START, MARK_END = "\ue000", "\ue001"


def tier_clauses(query: dict) -> list[dict]:
    """The tier clauses inside a built query, whatever wraps them (exclusions, kind weights)."""
    if "bool" in query:
        query = query["bool"]["must"][0]
    if "function_score" in query:
        query = query["function_score"]["query"]
    return query["dis_max"]["queries"]


def is_searchable(text: str) -> bool:
    return len(text.strip()) >= MIN_CHARS


def clamp_size(size: int) -> int:
    return max(1, min(int(size), MAX_SIZE))


def clamp_offset(offset: int) -> int:
    return max(0, min(int(offset), MAX_OFFSET))


def build_autocomplete_query(text: str, size: int = 10, target: str = "occupations",
                             exclude: Iterable[str] = (), offset: int = 0, relaxed: bool = False,
                             weights: list | None = None, typos: Typos = True) -> dict:
    """The search body for `text` typed into the `target` field (a name from TARGETS): its strict
    tiers, and with `relaxed` the second step's tiers too (`weights` from relaxed.word_weights;
    the typo tiers only with `typos`: True, or the words that may have one). Skills and credentials have one step: all their tiers.
    `offset` skips that many hits, for "Show more" (the sort ends in a unique field, so pages never
    overlap; the relaxed tiers rank below every strict one, so a relaxed page continues a strict one)."""
    profile = TARGETS[target]
    text = text.strip()[:MAX_TEXT]
    tiers = list(profile.tiers)
    if relaxed:
        tiers += [tier for tier in profile.relaxed if typos or not tier.fuzzy]
    clauses = [clause for tier in tiers if tier.applies_to(text)
               for clause in [tier.clause(text, weights, typos)] if clause is not None]
    query: dict = {"dis_max": {"queries": clauses, "tie_breaker": 0.0}}
    if profile.kind_weights:
        query = {"function_score": {"query": query, "score_mode": "first", "boost_mode": "multiply",
                                    "functions": [{"filter": {"term": {"kind": kind}}, "weight": weight}
                                                  for kind, weight in profile.kind_weights]}}
    exclude = [e for e in exclude if e][:MAX_EXCLUDE]
    must_not: list[dict] = [{"ids": {"values": exclude}}] if exclude else []
    # Typed as a code ("4931"), the code is what the editor asked for: nothing is collapsed.
    if profile.collapse_same_as_broader and not looks_like_code(text):
        must_not.append(SAME_AS_BROADER)
    if must_not:
        query = {"bool": {"must": [query], "must_not": must_not}}
    shown = () if relaxed and profile.relaxed else highlighted(profile)
    return {
        "from": clamp_offset(offset),
        "size": clamp_size(size),
        "track_total_hits": True,
        "_source": list(profile.source + (profile.relaxed_source if relaxed else ())),
        "query": query,
        "sort": list(profile.sort),
        **({"highlight": {
            "fields": {field: {} for field in shown},
            "number_of_fragments": 3,
            "fragment_size": 0,
            "order": "score",
            "pre_tags": [MARK_START],
            "post_tags": [MARK_END],
        }} if shown else {}),
    }


def highlighted(profile: Profile) -> tuple[str, ...]:
    """Alternate titles, and the topic values that can be named ("occupation: Heavy ... Drivers");
    a description is never quoted, only said to have matched."""
    topics = tuple(t.field for t in profile.tiers if t.shows in TOPICS and t.shows != "description")
    return profile.alternate_fields + topics


# label.raw and broader_label are keywords with doc values; the vocabularies are a few thousand
# concepts, so a script filter over them costs little.
SAME_AS_BROADER = {"script": {"script": {
    "source": "doc['broader_label'].size() > 0 && doc['label.raw'].size() > 0 "
              "&& doc['broader_label'].value == doc['label.raw'].value",
    "lang": "painless"}}}
