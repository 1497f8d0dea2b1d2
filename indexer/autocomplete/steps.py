"""Running autocomplete: the strict step, and the relaxed one when the strict tiers leave the page short."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from opensearchpy import OpenSearch

from indexer import relaxed as relaxing
from indexer import word_statistics
from indexer.autocomplete.answer import parse_autocomplete_response
from indexer.autocomplete.profiles import TARGETS, Profile
from indexer.autocomplete.query import build_autocomplete_query, clamp_offset, clamp_size, is_searchable
from indexer.autocomplete.tiers import FUZZY_MIN_WORD, MAX_TEXT, Typos
from indexer.registry import INDICES


@dataclass
class Suggestions:
    query: str
    total: int
    items: list[dict]
    took_ms: int = 0
    relaxed: bool = False  # the strict tiers did not fill the page, so the relaxed ones ran too

    def as_json(self) -> dict:
        return {"query": self.query, "total": self.total, "items": self.items, "relaxed": self.relaxed}


def needs_second_step(profile: Profile, strict_total: int, size: int, offset: int = 0) -> bool:
    """The relaxed tiers run only when the strict matches leave this page short. Counted on the
    strict total, so every page past that point ("Show more") is a relaxed one with one total."""
    return bool(profile.relaxed) and strict_total < clamp_offset(offset) + clamp_size(size)


def wants_weights(profile: Profile, text: str, strict_hits: int) -> bool:
    """Whether the second step weighs the words (one more request, for the weighted tiers): not
    for one word that already matched strictly ("weld" typed on the way to "welder"), where most
    of one word is that word, and the strict tiers have it."""
    return profile.needs_weights and (strict_hits == 0 or len(relaxing.fold(text).split()) > 1)


def wants_typos(client: OpenSearch, index: str, text: str, strict_total: int, hint: str | None = None) -> Typos:
    """Which words the second step's typo tiers may find with a typo: none when something matched
    strictly ("welder" must not bring Welter and Weeder), else the words long enough to have one
    (FUZZY_MIN_WORD) that the vocabulary never uses; every word until its words are read. A text
    of real words has nothing to forgive ("SCREW-MACH SET-UP OPERATOR, SINGLE"), and the typo
    tiers, with every word fuzzy, were most of the second request's time for long official names."""
    if strict_total:
        return False
    unknown = word_statistics.unknown_words(client, index, text, hint)
    if unknown is None:
        return True
    return frozenset(word for word in unknown if len(word) >= FUZZY_MIN_WORD)


def suggest(client: OpenSearch, index_prefix: str, target: str, text: str, size: int = 10,
            exclude: Iterable[str] = (), timeout: float | None = None, offset: int = 0) -> Suggestions:
    """Suggestions for `text` from the `target` alias. Raises opensearchpy's errors as they come:
    the caller decides what a person sees when the search service is down."""
    if target not in TARGETS:
        raise ValueError(f"unknown autocomplete target {target!r}; choose one of {', '.join(TARGETS)}")
    if not is_searchable(text):
        return Suggestions(text, 0, [])
    profile, index = TARGETS[target], INDICES[target].alias(index_prefix)
    params = {"request_timeout": timeout} if timeout else {}
    resp = client.search(index=index, body=build_autocomplete_query(text, size, target, exclude, offset), **params)
    took = resp.get("took", 0)
    # Whether anything matched strictly is the total, not this page: "Show more" past the strict
    # hits must not bring typo noise that the first page left out.
    strict_total = resp["hits"]["total"]["value"]
    if needs_second_step(profile, strict_total, size, offset):
        text = text.strip()[:MAX_TEXT]
        # The strict hits name the index behind the alias, which keys the word statistics.
        hits = resp["hits"]["hits"]
        hint = hits[0].get("_index") if hits else None
        weights = (word_statistics.word_weights(client, index, text, timeout, profile.head_factor, hint=hint)
                   if wants_weights(profile, text, strict_total) else None)
        typos = wants_typos(client, index, text, strict_total, hint)
        body = build_autocomplete_query(text, size, target, exclude, offset, relaxed=True, weights=weights,
                                        typos=typos)
        resp = client.search(index=index, body=body, **params)
        return Suggestions(text, resp["hits"]["total"]["value"], parse_autocomplete_response(resp, text, target),
                           took + resp.get("took", 0), relaxed=True)
    return Suggestions(text, resp["hits"]["total"]["value"], parse_autocomplete_response(resp, text, target), took)
