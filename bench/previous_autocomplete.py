"""Autocomplete as it was before the relaxed tiers (issue 11): a frozen copy of indexer/autocomplete.py
at main 29f34b9, kept so that bench/relevance.py can run today's algorithm beside the new one in
the same run, on the same indices. Only build_autocomplete_query is used. Not product code.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

from opensearchpy import OpenSearch

from indexer.codes import looks_like_code, normalize_code
from indexer.registry import INDICES

MIN_CHARS = 2
MAX_SIZE = 50
MAX_TEXT = 200
MAX_EXCLUDE = 200
# One edit in words of 5 or more characters, none in shorter ones: "regsitered" finds
# "registered", but "cop" never turns into "cap" or "top". Text without such a word skips the
# fuzzy tiers: they would only repeat the exact ones, at the price of expanding fuzzy terms.
FUZZINESS = "AUTO:5,99"
FUZZY_MIN_WORD = 5
# Words of one alternate title may come in any order, but must come from the same title: titles
# of a concept are indexed 100 positions apart, and no title has more than about 20 words.
SAME_TITLE_SLOP = 20
# The longest word prefix the index keeps (edge_ngram max_gram in mappings/vocabulary).
PREFIX_GRAMS = 20
# `29-1141` and `291141` are SOC codes; several O*NET occupations share one (`29-1141.00` to
# `.04`), and the SOC title is that of `.00`, so `.00` goes first.
SOC_CODE = re.compile(r"\s*\d{2}-?\d{4}\s*")
CODE_KINDS = ("code", "code_prefix", "soc_code")
# The share of a graded tier's relevance that is added to its constant boost.
GRADE = 0.001
# "Most of the words": with 2 to 5 typed words all but one must match, with more three quarters.
# The tier is graded, so the hits that match more (and rarer) words come first within it.
MOST_MIN_WORDS = 2
MOST_WORDS = "1<-1 5<75%"
# A doer's name ends in -er/-or ("welder", "driver", "operator"); cut off, what is left starts the
# name of the work ("weld" -> welding, "driv" -> driving). Only for words of 5+ letters that keep 4.
_AGENT = re.compile(r"^(\w{4,}?)(?:er|or)s?$")


def agent_text(text: str) -> str:
    """`text` folded, with each doer's name cut to the start of its work: "pipe welder" -> "pipe weld"."""
    return " ".join(_AGENT.sub(r"\1", word) if len(word) >= 5 else word for word in fold(text).split())


@dataclass(frozen=True)
class Tier:
    """One way a text can match, with the constant score that ranks it against the other ways.

    `how` says what the clause does with the text:
      whole   the field folds the whole text into one token (exact value, or start of the value)
      words   every typed word matches a word of the field, in any order (on a `.prefix` field,
              the start of a word)
      phrase  the same, within one value of a multi-valued field
      agent_words, agent_phrase  `words`, `phrase` with doers turned into their work ("welder" ->
              "weld", which starts "welding"): see agent_text
      most    most of the typed words (all but one of 2-5, three quarters of more), any order
      fuzzy   `words`, with one typo allowed in words of 5+ characters
      fuzzy_title  `fuzzy`, within one value of a multi-valued field
      keyword the text equals the field's keyword (its normalizer folds case and accents)
      keyword_prefix  ... or starts it
      code    the text, normalized like codes are, equals a stored code form
      code_prefix  ... or starts one
      soc_code  a six-digit SOC code names the O*NET occupation that ends in `.00`
    `shows` says what a hit matched on: its label, an alternate title, or its code.
    A `graded` tier adds a thousandth of the clause's relevance to its boost: typo matches are
    ordered by how close they are before popularity gets a say, and still never leave their tier.
    """

    name: str
    boost: int
    field: str
    how: str
    shows: str
    graded: bool = False

    def applies_to(self, text: str) -> bool:
        """Code tiers only run when the text looks like a code; fuzzy ones when a word can have a typo;
        agent tiers when a word names a doer ("welder"); `most` when there are 2+ words."""
        if self.how in ("fuzzy", "fuzzy_title"):
            return any(len(word) >= FUZZY_MIN_WORD for word in fold(text).split())
        if self.how in ("agent_words", "agent_phrase"):
            return agent_text(text) != fold(text)
        if self.how == "most":
            return len(fold(text).split()) >= MOST_MIN_WORDS
        if self.how not in CODE_KINDS:
            return True
        if not looks_like_code(text):
            return False
        return self.how != "soc_code" or bool(SOC_CODE.fullmatch(text))

    def clause(self, text: str) -> dict:
        field, how = self.field, self.how
        if how == "whole":
            query = {"match": {field: {"query": text}}}
        elif how == "words":
            query = {"match": {field: {"query": text, "operator": "and"}}}
        elif how == "phrase":
            query = {"match_phrase": {field: {"query": text, "slop": SAME_TITLE_SLOP}}}
        elif how == "agent_words":
            query = {"match": {field: {"query": agent_text(text), "operator": "and"}}}
        elif how == "agent_phrase":
            query = {"match_phrase": {field: {"query": agent_text(text), "slop": SAME_TITLE_SLOP}}}
        elif how == "most":
            query = {"match": {field: {"query": text, "minimum_should_match": MOST_WORDS}}}
        elif how == "fuzzy":
            query = {"match": {field: {"query": text, "operator": "and", "fuzziness": FUZZINESS,
                                       "prefix_length": 0, "max_expansions": 50}}}
        elif how == "fuzzy_title":
            words = [w[:PREFIX_GRAMS] for w in fold(text).split()]
            query = {"span_near": {"clauses": [
                {"span_multi": {"match": {"fuzzy": {field: {"value": w, "fuzziness": FUZZINESS, "max_expansions": 50}}}}}
                for w in words], "slop": SAME_TITLE_SLOP, "in_order": False}}
        elif how == "keyword":
            query = {"term": {field: text}}
        elif how == "keyword_prefix":
            query = {"prefix": {field: text}}
        elif how == "code":
            query = {"term": {field: normalize_code(text)}}
        elif how == "soc_code":
            query = {"term": {field: normalize_code(text) + "00"}}
        elif how == "code_prefix":
            query = {"prefix": {field: normalize_code(text)}}
        else:  # a mistake in the tier table, not in user input
            raise ValueError(f"tier {self.name}: unknown match kind {how!r}")
        if self.graded:
            return {"bool": {"must": [_boosted(query, GRADE)], "should": [{"match_all": {"boost": self.boost}}],
                             "_name": self.name}}
        return {"constant_score": {"filter": query, "boost": self.boost, "_name": self.name}}


def _boosted(query: dict, boost: float) -> dict:
    """`query` with its relevance multiplied by `boost` (match keeps its options per field)."""
    kind, params = next(iter(query.items()))
    if kind == "match":
        return {"match": {field: {**options, "boost": boost} for field, options in params.items()}}
    return {kind: {**params, "boost": boost}}


@dataclass(frozen=True)
class Profile:
    """How one kind of index is searched: its tiers, what to fetch, how to order and show hits."""

    tiers: tuple[Tier, ...]
    source: tuple[str, ...]
    sort: tuple
    alternate_fields: tuple[str, ...]   # highlighted to show which alternate title matched
    item: Callable[[dict], dict]
    # Where the alternate titles are read from instead, when not highlighted (`_source` fields).
    alternate_source: tuple[str, ...] = ()
    kind_weights: tuple[tuple[str, float], ...] = ()  # score factors by the document's `kind`

    def tier(self, name: str) -> Tier | None:
        return next((t for t in self.tiers if t.name == name), None)


def _concept_item(hit: dict) -> dict:
    src = hit["_source"]
    return {"id": src.get("code", hit["_id"]), "code": src.get("code", hit["_id"]),
            "label": src.get("label", ""), "scheme": src.get("scheme", "")}


def _skill_item(hit: dict) -> dict:
    item = _concept_item(hit)
    item["kind"] = hit["_source"].get("kind") or ""
    return item


def _credential_item(hit: dict) -> dict:
    src = hit["_source"]
    return {"id": src.get("id", hit["_id"]), "code": src.get("type", ""), "label": src.get("name", ""),
            "scheme": "credentials"}


VOCABULARY = Profile(
    tiers=(
        Tier("soc_code", 1000, "code_norm", "soc_code", "code"),
        Tier("code_exact", 950, "code_norm", "code", "code"),
        Tier("code_prefix", 900, "code_norm", "code_prefix", "code"),
        Tier("label_exact", 800, "label.exact", "whole", "label"),
        Tier("alt_exact", 700, "alt_labels.exact", "whole", "alt"),
        Tier("label_start", 600, "label.starts", "whole", "label"),
        Tier("label_words", 500, "label.prefix", "words", "label"),
        Tier("alt_start", 400, "alt_labels.starts", "whole", "alt"),
        Tier("alt_words", 300, "alt_labels.prefix", "phrase", "alt"),
        Tier("label_fuzzy", 200, "label.prefix", "fuzzy", "label", graded=True),
        Tier("alt_fuzzy_title", 150, "alt_labels.prefix", "fuzzy_title", "alt", graded=True),
        Tier("alt_fuzzy", 100, "alt_labels.prefix", "fuzzy", "alt", graded=True),
    ),
    source=("code", "label", "scheme"),
    sort=({"_score": "desc"}, {"credential_count": "desc"}, {"label_length": "asc"}, {"code": "asc"}),
    alternate_fields=("alt_labels.exact", "alt_labels.starts", "alt_labels.prefix"),
    item=_concept_item,
)

# Skills: everyday words find ESCO and O*NET concepts. Stemmed tiers let "lesson planning" find
# "plan lessons"; agent tiers let "welder" find welding; hidden labels (ESCO's, and our everyday
# terms such as OSHA and CDL) are searched but never shown as a label. Within a tier a skill goes
# before knowledge, an activity, a technology and a tool (kind_rank).
SKILLS = Profile(
    tiers=(
        Tier("label_exact", 800, "label.exact", "whole", "label"),
        Tier("alt_exact", 700, "alt_labels.exact", "whole", "alt"),
        Tier("hidden_exact", 690, "hidden_labels.exact", "whole", "hidden"),
        Tier("label_whole_words", 600, "label", "words", "label"),
        Tier("label_start", 560, "label.starts", "whole", "label"),
        Tier("label_words", 500, "label.prefix", "words", "label"),
        Tier("label_agent", 500, "label.prefix", "agent_words", "label"),
        Tier("label_stems", 480, "label.stem", "words", "label"),
        Tier("alt_whole_words", 350, "alt_labels", "phrase", "alt"),
        Tier("hidden_words", 340, "hidden_labels.prefix", "phrase", "hidden"),
        Tier("alt_words", 300, "alt_labels.prefix", "phrase", "alt"),
        Tier("alt_agent", 300, "alt_labels.prefix", "agent_phrase", "alt"),
        Tier("alt_stems", 290, "alt_labels.stem", "phrase", "alt"),
        # Every word with a typo still says more than some words missing.
        Tier("label_fuzzy", 230, "label.prefix", "fuzzy", "label", graded=True),
        Tier("alt_fuzzy_title", 180, "alt_labels.prefix", "fuzzy_title", "alt", graded=True),
        Tier("alt_fuzzy", 130, "alt_labels.prefix", "fuzzy", "alt", graded=True),
        Tier("label_most", 80, "label.stem", "most", "label", graded=True),
        Tier("alt_most", 30, "alt_labels.stem", "most", "alt", graded=True),
    ),
    source=("code", "label", "scheme", "kind", "alt_labels", "hidden_labels"),
    sort=({"_score": "desc"}, {"kind_rank": "asc"}, {"credential_count": "desc"}, {"label_length": "asc"},
          {"code": "asc"}),
    # Highlighting six alternative-label fields without term vectors (the lean skills mapping) cost
    # 40% of the query's time; which alternative label matched is worked out here instead.
    alternate_fields=(),
    alternate_source=("alt_labels", "hidden_labels"),
    item=_skill_item,
    # A tool or a product name that matches well still goes after a skill that matches a little
    # less well ("forklift": operate forklift, then Forklifts), never after one from a tier far below.
    kind_weights=(("tool", 0.8), ("technology", 0.9), ("ability", 0.9)),
)

CREDENTIALS = Profile(
    tiers=(
        Tier("name_exact", 800, "name.sort", "keyword", "label"),
        Tier("name_start", 600, "name.sort", "keyword_prefix", "label"),
        Tier("name_whole_words", 550, "name.exact", "words", "label"),
        Tier("name_words", 500, "name.prefix", "words", "label"),
        Tier("alt_words", 300, "alternate_names.prefix", "phrase", "alt"),
        Tier("name_fuzzy", 200, "name.prefix", "fuzzy", "label", graded=True),
        Tier("alt_fuzzy", 100, "alternate_names.prefix", "fuzzy", "alt", graded=True),
    ),
    source=("id", "name", "type"),
    sort=({"_score": "desc"}, {"name.sort": "asc"}, {"id": "asc"}),
    alternate_fields=("alternate_names.prefix",),
    item=_credential_item,
)

# What `GET /api/v1/autocomplete/<target>` may ask for, and how each is searched.
TARGETS: dict[str, Profile] = {
    "occupations": VOCABULARY,
    "sectors": VOCABULARY,
    "programs": VOCABULARY,
    "skills": SKILLS,
    "credentials": CREDENTIALS,
}


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


def build_autocomplete_query(text: str, size: int = 10, target: str = "occupations",
                             exclude: Iterable[str] = ()) -> dict:
    """The search body for `text` typed into the `target` field (a name from TARGETS)."""
    profile = TARGETS[target]
    text = text.strip()[:MAX_TEXT]
    clauses = [tier.clause(text) for tier in profile.tiers if tier.applies_to(text)]
    query: dict = {"dis_max": {"queries": clauses, "tie_breaker": 0.0}}
    if profile.kind_weights:
        query = {"function_score": {"query": query, "score_mode": "first", "boost_mode": "multiply",
                                    "functions": [{"filter": {"term": {"kind": kind}}, "weight": weight}
                                                  for kind, weight in profile.kind_weights]}}
    exclude = [e for e in exclude if e][:MAX_EXCLUDE]
    if exclude:
        query = {"bool": {"must": [query], "must_not": [{"ids": {"values": exclude}}]}}
    return {
        "size": clamp_size(size),
        "track_total_hits": True,
        "_source": list(profile.source),
        "query": query,
        "sort": list(profile.sort),
        **({"highlight": {
            "fields": {field: {} for field in profile.alternate_fields},
            "number_of_fragments": 3,
            "fragment_size": 0,
            "order": "score",
            "pre_tags": [MARK_START],
            "post_tags": [MARK_END],
        }} if profile.alternate_fields else {}),
    }


# --- reading the answer ------------------------------------------------------------------------

# Highlight marks from Unicode's private use area, which no label or title contains.
MARK_START, MARK_END = "\ue000", "\ue001"
_MARKED = re.compile(f"{MARK_START}(.*?){MARK_END}")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lowercase, accents and punctuation removed, single spaces: how the index compares text."""
    text = unicodedata.normalize("NFKD", text.replace("'", "").replace("\u2019", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def best_alternate(fragments: Iterable[str], text: str) -> str | None:
    """The alternate title to show beside the label: the one equal to the text, else the one
    that starts with it, else the one with most of it highlighted, shortest first."""
    typed = fold(text)
    candidates = []
    for fragment in fragments:
        value = fragment.replace(MARK_START, "").replace(MARK_END, "")
        folded = fold(value)
        marked = sum(len(m) for m in _MARKED.findall(fragment))
        rank = (folded != typed, not folded.startswith(typed), -marked, len(value))
        candidates.append((rank, value))
    return min(candidates)[1] if candidates else None


def matched_on(hit: dict, profile: Profile, text: str) -> str | None:
    """What to show after the arrow ("RN -> Registered Nurses"), or None when the label matched."""
    tiers = [profile.tier(name) for name in hit.get("matched_queries", [])]
    tiers = [tier for tier in tiers if tier is not None]
    # A label that holds only some of the words ("first" in "first response", whose alternative
    # label is "first aid") did not make the match when a whole alternative label did.
    whole = [tier for tier in tiers if tier.how != "most"]
    shows = {tier.shows for tier in whole or tiers}
    if "label" in shows or not shows:
        return None
    if "code" in shows:
        return hit["_source"].get("code") or hit["_id"]
    if profile.alternate_source:
        values = [v for field in profile.alternate_source for v in hit["_source"].get(field) or []]
        return best_alternate(mark_typed_words(values, text), text)
    fragments = [f for field in profile.alternate_fields for f in hit.get("highlight", {}).get(field, [])]
    return best_alternate(fragments, text)


# A typed word "matches" a word of an alternative label that starts with its first letters (all
# but a suffix of up to three, keeping four): "planning" marks "plan", "welder" marks "welding".
_STEM_KEEP = 4


def mark_typed_words(values: Iterable[str], text: str) -> list[str]:
    """`values` that share a word with `text`, with those words marked as a highlighter would mark
    them, for best_alternate; a value that shares none is left out."""
    stems = [w[:max(_STEM_KEEP, len(w) - 3)] for w in fold(text).split()]
    marked = []
    for value in values:
        words = value.split()
        hits = [any(fold(word).startswith(stem) or stem.startswith(fold(word) or "\0") for stem in stems)
                for word in words]
        if any(hits):
            marked.append(" ".join(f"{MARK_START}{w}{MARK_END}" if hit else w for w, hit in zip(words, hits)))
    return marked or list(values)[:1]


def parse_autocomplete_response(resp: dict, text: str, target: str = "occupations") -> list[dict]:
    profile = TARGETS[target]
    items = []
    for hit in resp["hits"]["hits"]:
        item = profile.item(hit)
        item["matched"] = matched_on(hit, profile, text)
        items.append(item)
    return items


# --- running it --------------------------------------------------------------------------------


@dataclass
class Suggestions:
    query: str
    total: int
    items: list[dict]
    took_ms: int = 0

    def as_json(self) -> dict:
        return {"query": self.query, "total": self.total, "items": self.items}


def suggest(client: OpenSearch, index_prefix: str, target: str, text: str, size: int = 10,
            exclude: Iterable[str] = (), timeout: float | None = None) -> Suggestions:
    """Suggestions for `text` from the `target` alias. Raises opensearchpy's errors as they come:
    the caller decides what a person sees when the search service is down."""
    if target not in TARGETS:
        raise ValueError(f"unknown autocomplete target {target!r}; choose one of {', '.join(TARGETS)}")
    if not is_searchable(text):
        return Suggestions(text, 0, [])
    body = build_autocomplete_query(text, size, target, exclude)
    params = {"request_timeout": timeout} if timeout else {}
    resp = client.search(index=INDICES[target].alias(index_prefix), body=body, **params)
    return Suggestions(text, resp["hits"]["total"]["value"], parse_autocomplete_response(resp, text, target),
                       resp.get("took", 0))
