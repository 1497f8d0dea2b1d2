"""Autocomplete's answer: the hits as a short list, each saying how it matched (which tier, which
alternate title, example or crosswalked occupation, and for credentials which topic).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from indexer import relaxed as relaxing
from indexer.autocomplete.profiles import NAMED_VIA, TARGETS, TOPIC_NAMES, TOPICS, Profile
from indexer.autocomplete.query import MARK_END, MARK_START
from indexer.autocomplete.tiers import Tier, fold

_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}")


@lru_cache(maxsize=100_000)
def _folded(text: str) -> str:
    """fold(text), remembered: the same alternate titles and their words are read on every answer
    (an occupation has up to a few hundred), and folding them each time was most of its cost."""
    return fold(text)


@lru_cache(maxsize=100_000)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_folded(text).split())


def best_alternate(fragments: Iterable[str], text: str) -> str | None:
    """The alternate title to show beside the label: the one equal to the text, else the one
    that starts with it, else the one with most of it highlighted, shortest first."""
    typed = fold(text)
    candidates = []
    for fragment in fragments:
        value = fragment.replace(MARK_START, "").replace(MARK_END, "")
        folded = _folded(value)
        marked = sum(len(m) for m in _MARKED.findall(fragment))
        rank = (folded != typed, not folded.startswith(typed), -marked, len(value))
        candidates.append((rank, value))
    return min(candidates)[1] if candidates else None


def winning_tier(hit: dict, profile: Profile) -> Tier | None:
    """The highest tier among those a hit matched: the one that ranked it."""
    tiers = [profile.tier(name) for name in hit.get("matched_queries", [])]
    return max((tier for tier in tiers if tier is not None), key=lambda tier: tier.boost, default=None)


def _shows(hit: dict, profile: Profile) -> set[str]:
    """What the hit's matching clauses matched on; a weighted tier's inner clauses say it after
    the colon (`most_words:alt`)."""
    tiers = [(name, profile.tier(name)) for name in hit.get("matched_queries", [])]
    tiers = [(name, tier) for name, tier in tiers if tier is not None]
    # A label that holds only some of the words ("first" in "first response", whose alternative
    # label is "first aid") did not make the match when a whole alternative label did.
    whole = [(name, tier) for name, tier in tiers if tier.how not in ("most", "weighted")] or tiers
    return {name.split(":", 1)[1] if ":" in name else tier.shows for name, tier in whole
            if ":" in name or tier.how != "weighted"}


_NOT_GIVEN = object()


def matched_on(hit: dict, profile: Profile, text: str, via=_NOT_GIVEN) -> str | None:
    """What to show after the arrow ("RN -> Registered Nurses"), or None when the label matched.
    `via`: crosswalk_via(hit, text), when the caller has it already."""
    shows = _shows(hit, profile) - set(TOPICS)
    if "label" in shows or not shows:
        return None
    if "code" in shows:
        return hit["_source"].get("code") or hit["_id"]
    if shows <= {"occupation", "occupation_alt"}:
        entry = crosswalk_via(hit, text) if via is _NOT_GIVEN else via
        if entry is None or "occupation_alt" not in shows:
            return None
        words = relaxing.clean_text(text)
        return closest_alternate(entry["alt"], words)
    sources = profile.alternate_source
    if sources:
        values = [v for field in sources for v in hit["_source"].get(field) or []]
        return closest_alternate(values, text)
    fragments = [f for field in profile.alternate_fields for f in hit.get("highlight", {}).get(field, [])]
    return best_alternate(fragments, text)


def named_via(hit: dict, text: str, shows: set[str]) -> str | None:
    """When a credential's name or a technology made the match (the winning tier, or all that
    matched), which one ("via CompTIA Security+", "via Oracle Java"): of the hit's names in that
    field, the one most like the text."""
    if not shows or not shows <= set(NAMED_VIA):
        return None
    names = [name for kind in sorted(shows) for name in hit["_source"].get(NAMED_VIA[kind]) or []]
    return closest_alternate(names, text)


def crosswalk_via(hit: dict, text: str) -> dict | None:
    """The occupation a programme was found through: of those it leads to, the one whose title or
    alternate titles share most of the typed words."""
    typed = [w[:max(_STEM_KEEP, len(w) - 3)] for w in relaxing.clean_text(text).split()]

    stems_of: dict[str, int] = {}  # which typed stems a word matches (bit i: stem i), once per word

    def matching(word: str) -> int:
        found = stems_of.get(word)
        if found is None:
            found = stems_of[word] = sum(1 << i for i, stem in enumerate(typed)
                                         if word.startswith(stem) or stem.startswith(word or "\0"))
        return found

    def shared(value: str) -> int:
        """How many of the typed stems a word of `value` matches."""
        mask = 0
        for word in _words(value):
            mask |= matching(word)
        return bin(mask).count("1")

    entries = hit["_source"].get("crosswalk") or []
    scored = [(max([shared(entry["label"])] + [shared(alt) for alt in entry["alt"]]), -i, entry)
              for i, entry in enumerate(entries)]
    best = max(scored, default=None, key=lambda row: row[:2])
    return best[2] if best and best[0] > 0 else None


# A typed word "matches" a word of an alternative label that starts with its first letters (all
# but a suffix of up to three, keeping four): "planning" marks "plan", "welder" marks "welding".
_STEM_KEEP = 4


@lru_cache(maxsize=1024)
def _needles(stems: tuple[str, ...]) -> tuple[str, ...]:
    """What to look for in folded values written one per line, each between spaces: a word that
    starts with a stem (" plan"), or a whole word that starts one (" pl ")."""
    starts = {f" {stem}" for stem in stems}
    whole = {f" {stem[:k]} " for stem in stems for k in range(1, len(stem))}
    return tuple(sorted(starts | whole))


def _shared_letters(folded: list[str], stems: tuple[str, ...]) -> dict[int, int]:
    """For each folded value (by its place in `folded`) with words that start with a stem or
    start one, how many letters those words have: what a highlighter would mark.

    An occupation has up to a few thousand alternate titles and most share nothing with the text,
    so the values are written one per line and searched with a few plain substring searches
    instead of word by word."""
    joined = " " + " \n ".join(folded) + " "
    sharing: dict[int, int] = {}  # where a sharing word starts -> its length
    for needle in _needles(stems):
        at = joined.find(needle)
        while at >= 0:
            start = at + 1
            if start not in sharing:
                sharing[start] = joined.find(" ", start) - start
            at = joined.find(needle, start)
    letters: dict[int, int] = {}
    line, counted = 0, 0
    for start in sorted(sharing):  # a value's place is the number of newlines before it
        line += joined.count("\n", counted, start)
        counted = start
        letters[line] = letters.get(line, 0) + sharing[start]
    return letters


def closest_alternate(values: Iterable[str], text: str) -> str | None:
    """Of `values` (alternate titles, credential names), the one to show for `text`: the one
    best_alternate would pick if in each value the words it shares with the text were
    highlighted. A word shares when it starts with a typed word's first letters (all but up to
    three, keeping four) or starts them: "planning" and "plan", "welder" and "welding". The first
    value when none shares a word; None when there are none."""
    values = list(values)
    if not values:
        return None
    typed = fold(text)
    stems = tuple(w[:max(_STEM_KEEP, len(w) - 3)] for w in typed.split())
    folded = list(map(_folded, values))
    shared = _shared_letters(folded, stems) if stems else {}
    ranked = [((folded[i] != typed, not folded[i].startswith(typed), -letters, len(values[i])), values[i])
              for i, letters in shared.items()]
    return min(ranked)[1] if ranked else values[0]


def parse_autocomplete_response(resp: dict, text: str, target: str = "occupations") -> list[dict]:
    profile = TARGETS[target]
    items = []
    for hit in resp["hits"]["hits"]:
        item = profile.item(hit)
        shows = _shows(hit, profile)
        tier = winning_tier(hit, profile)
        via = crosswalk_via(hit, text) if shows <= {"occupation", "occupation_alt"} else None
        named = named_via(hit, text, {tier.shows} if tier and tier.shows in NAMED_VIA else shows)
        item["matched"] = None if named else matched_on(hit, profile, text, via)
        item["tier"] = tier.name if tier else None
        item["relaxed"] = tier is not None and tier in profile.relaxed
        item["via"] = named or (via["label"] if via else None)
        if any(tier.shows in TOPICS for tier in profile.tiers):
            item["about"] = about(hit, profile, text)
        items.append(item)
    return items


def about(hit: dict, profile: Profile, text: str) -> str | None:
    """How a credential found by its topic matched ("occupation: Heavy and Tractor-Trailer Truck
    Drivers", "keyword: HazMat", "description"); None when its name or an alternate name did."""
    tiers = [t for t in (profile.tier(name) for name in hit.get("matched_queries", [])) if t is not None]
    if not tiers or any(tier.shows not in TOPICS for tier in tiers):
        return None
    best = max(tiers, key=lambda tier: tier.boost)
    if best.shows == "description":
        return "description"
    value = best_alternate(hit.get("highlight", {}).get(best.field, []), text)
    return f"{TOPIC_NAMES[best.shows]}: {value}" if value else TOPIC_NAMES[best.shows]
