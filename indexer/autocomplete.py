"""Autocomplete: what an editor types becomes one OpenSearch request, and the answer a short list.

Ranking is tiered, because people expect the obvious answer first whatever the text statistics
say: an exact label, then an exact alternate title ("RN"), then labels that start with the text,
labels whose words start with the typed words in any order ("nurse registered"), the same two for
alternate titles, and last the same word prefixes with one typo allowed in words of 5+ letters.
When the text looks like a code (`29-1141`, `51.38`, `62`), exact and prefix code matches come
before all of them. Each tier is a constant score, so a higher tier always wins; ties go to the
concept more published credentials use, then to the shorter label.

Occupations, sectors and programmes answer in two steps. The strict tiers above run first, and
when they fill the page that is the answer. Otherwise a second request adds the relaxed tiers
(indexer/relaxed.py), all ranked below every strict tier: the typo tiers (only when nothing matched
strictly: "welder" must not bring Welter and Weeder), the name without its qualifiers and noise
("BARBER - APPRENTICE" -> barber), a parenthesised abbreviation ("(CPA)"), and most of the words
weighted by how informative they are. Programmes are also found through the occupations they lead
to (CIP->SOC crosswalk). Each item says which tier matched and whether it was a relaxed one.

The tiers are data (VOCABULARY.tiers, CREDENTIALS.tiers) and `build_autocomplete_query` only reads
them. User text reaches OpenSearch only inside match, match_phrase, term and prefix queries, never
query_string, so no character the user types can become query syntax.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from opensearchpy import OpenSearch

from indexer import relaxed as relaxing
from indexer import word_statistics
from indexer.codes import looks_like_code, normalize_code
from indexer.registry import INDICES

MIN_CHARS = 2
MAX_SIZE = 50
MAX_TEXT = 200
MAX_EXCLUDE = 200
# "Show more" pages through a keyword's matches; OpenSearch's result window is 10,000 hits.
MAX_OFFSET = 10_000 - MAX_SIZE
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
      clean_words, clean_phrase  `words`, `phrase` on the text without qualifiers and noise words
              (relaxed.clean_text: "STATIONARY ENGINEER, 2ND CLASS" -> "stationary engineer")
      abbreviation  an abbreviation given in parentheses equals the field ("(CPA)")
      weighted  most of the words, weighted by informativeness, over `fields` (relaxed.weighted_clause)
    `shows` says what a hit matched on: its label, an alternate title, or its code; or, for a
    credential found by what it is about, one of TOPICS (an occupation, a CIP programme, ...).
    A `graded` tier adds a thousandth of the clause's relevance to its boost: typo matches are
    ordered by how close they are before popularity gets a say, and still never leave their tier.
    """

    name: str
    boost: int
    field: str
    how: str
    shows: str
    graded: bool = False
    # `weighted` tiers only: (field, factor, what a match there shows), and the share of the
    # words' weight a hit must match. Their score is their boost plus up to 0.8 of it.
    fields: tuple[tuple[str, float, str], ...] = ()
    share: float = relaxing.MOST_SHARE

    @property
    def fuzzy(self) -> bool:
        return self.how in ("fuzzy", "fuzzy_title")

    def applies_to(self, text: str) -> bool:
        """Code tiers only run when the text looks like a code; fuzzy ones when a word can have a typo;
        agent tiers when a word names a doer ("welder"); `most` when there are 2+ words."""
        if self.how in ("fuzzy", "fuzzy_title"):
            return any(len(word) >= FUZZY_MIN_WORD for word in fold(text).split())
        if self.how in ("agent_words", "agent_phrase"):
            return agent_text(text) != fold(text)
        if self.how == "most":
            return len(fold(text).split()) >= MOST_MIN_WORDS
        if self.how == "abbreviation":
            return bool(relaxing.abbreviations(text))
        if self.how in ("clean_words", "clean_phrase"):
            return bool(relaxing.clean_text(text))
        if self.how not in CODE_KINDS:
            return True
        if not looks_like_code(text):
            return False
        return self.how != "soc_code" or bool(SOC_CODE.fullmatch(text))

    def clause(self, text: str, weights: list | None = None) -> dict | None:
        """The query for this tier, or None when it has nothing to look for (`weighted` without
        weights: no word of the text is in the vocabulary)."""
        field, how = self.field, self.how
        if how == "weighted":
            return relaxing.weighted_clause(weights or [], self.fields, self.name, self.boost, self.boost * 0.8,
                                            self.share)
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
        elif how == "clean_words":
            query = {"match": {field: {"query": relaxing.clean_text(text), "operator": "and"}}}
        elif how == "clean_phrase":
            query = {"match_phrase": {field: {"query": relaxing.clean_text(text), "slop": SAME_TITLE_SLOP}}}
        elif how == "abbreviation":
            query = {"bool": {"should": [{"match": {field: {"query": a}}} for a in relaxing.abbreviations(text)]}}
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
    # Tiers of the second step (see the module docstring); none for skills and credentials.
    relaxed: tuple[Tier, ...] = ()
    # Fields fetched in the second step. It is not highlighted: highlighting the relaxed tiers'
    # stemmed fields doubled its time, so the alternate title is worked out from `alt_labels`.
    relaxed_source: tuple[str, ...] = ()
    # How much more the head noun of a name counts than its other words (relaxed.word_weights).
    head_factor: float = relaxing.HEAD_FACTOR
    # Sectors: leave out a concept named exactly like its broader one (NAICS 4931 "Warehousing and
    # Storage" under 493): the same name at the next level down is the same scope, its only child.
    collapse_same_as_broader: bool = False

    def tier(self, name: str) -> Tier | None:
        name = name.split(":")[0]
        return next((t for t in self.tiers + self.relaxed if t.name == name), None)

    @property
    def needs_weights(self) -> bool:
        return any(t.how == "weighted" for t in self.relaxed)


def _concept_item(hit: dict) -> dict:
    src = hit["_source"]
    return {"id": src.get("code", hit["_id"]), "code": src.get("code", hit["_id"]),
            "label": src.get("label", ""), "scheme": src.get("scheme", "")}


def _skill_item(hit: dict) -> dict:
    item = _concept_item(hit)
    item["kind"] = hit["_source"].get("kind") or ""
    return item


def _sector_item(hit: dict) -> dict:
    """A sector with its NAICS level ("subsector"), so 48 and 484 read apart at a glance."""
    item = _concept_item(hit)
    item["level"] = (hit["_source"].get("detail") or "").replace("_", " ")
    return item


def _credential_item(hit: dict) -> dict:
    src = hit["_source"]
    return {"id": src.get("id", hit["_id"]), "code": src.get("type", ""), "label": src.get("name", ""),
            "scheme": "credentials"}


STRICT_TIERS = (
    Tier("soc_code", 1000, "code_norm", "soc_code", "code"),
    Tier("code_exact", 950, "code_norm", "code", "code"),
    Tier("code_prefix", 900, "code_norm", "code_prefix", "code"),
    Tier("label_exact", 800, "label.exact", "whole", "label"),
    Tier("alt_exact", 700, "alt_labels.exact", "whole", "alt"),
    Tier("label_start", 600, "label.starts", "whole", "label"),
    Tier("label_words", 500, "label.prefix", "words", "label"),
    # Every word, stemmed: "trucking" finds Truck Transportation. The same band as word prefixes,
    # so the shorter, more general label wins the tie.
    Tier("label_stems", 500, "label.stem", "words", "label"),
    Tier("alt_start", 400, "alt_labels.starts", "whole", "alt"),
    Tier("alt_words", 300, "alt_labels.prefix", "phrase", "alt"),
)
TYPO_TIERS = (
    Tier("label_fuzzy", 200, "label.prefix", "fuzzy", "label", graded=True),
    Tier("alt_fuzzy_title", 150, "alt_labels.prefix", "fuzzy_title", "alt", graded=True),
    Tier("alt_fuzzy", 100, "alt_labels.prefix", "fuzzy", "alt", graded=True),
)
# Every word that says what the work is, without qualifiers: above the typo tiers, which need
# every typed word, qualifiers too ("BARBER - APPRENTICE" is Barbers, not Blacksmith Apprentice).
CLEAN_TIERS = (
    Tier("label_clean", 260, "label.stem", "clean_words", "label"),
    Tier("abbreviation", 255, "alt_labels.exact", "abbreviation", "alt"),
    Tier("alt_clean", 250, "alt_labels.stem", "clean_phrase", "alt"),
)
CONCEPT_FIELDS = (("label.stem", 1.0, "label"), ("alt_labels.stem", 0.85, "alt"), ("hidden_labels.stem", 0.85, "hidden"))
PROGRAM_FIELDS = CONCEPT_FIELDS + (("occupation_titles", 0.7, "occupation"), ("occupation_alt_titles", 0.6, "occupation_alt"))

VOCABULARY = Profile(
    tiers=STRICT_TIERS,
    source=("code", "label", "scheme"),
    sort=({"_score": "desc"}, {"credential_count": "desc"}, {"label_length": "asc"}, {"code": "asc"}),
    alternate_fields=("alt_labels.exact", "alt_labels.starts", "alt_labels.prefix"),
    item=_concept_item,
    relaxed=CLEAN_TIERS + TYPO_TIERS + (
        Tier("most_words", 40, "", "weighted", "label", fields=CONCEPT_FIELDS),
        Tier("some_words", 12, "", "weighted", "label", fields=CONCEPT_FIELDS, share=relaxing.SOME_SHARE),
    ),
    relaxed_source=("alt_labels",),
)

# Programmes are also found through the occupations they lead to, below their own titles and
# examples: "Certified Nursing Aide" finds Nursing Assistant/Aide via Nursing Assistants.
PROGRAMS = Profile(
    tiers=STRICT_TIERS,
    source=VOCABULARY.source,
    sort=VOCABULARY.sort,
    alternate_fields=VOCABULARY.alternate_fields,
    item=_concept_item,
    relaxed=CLEAN_TIERS + TYPO_TIERS + (
        Tier("occupation_clean", 90, "occupation_titles", "clean_phrase", "occupation"),
        Tier("occupation_alt_clean", 80, "occupation_alt_titles", "clean_phrase", "occupation_alt"),
        Tier("most_words", 20, "", "weighted", "label", fields=PROGRAM_FIELDS),
        Tier("some_words", 8, "", "weighted", "label", fields=PROGRAM_FIELDS, share=relaxing.SOME_SHARE),
    ),
    # Programme names end in "Technology", "Certificate Entry", "AAS": the last word is no head noun.
    head_factor=1.0,
    relaxed_source=("alt_labels", "crosswalk"),
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

# What a credential is about, for the related-credential picker: "hazmat" or "truck" names no
# credential but is a keyword, an occupation or a CIP programme of several. These tiers sit below
# every name tier, so a credential whose name matches always comes first. Fields are stemmed
# (english_folded): "trucking" finds "truck drivers".
TOPICS = {"keyword": "keywords", "occupation": "occupation_labels", "occupation_title": "occupation_terms",
          "cip": "cip_labels", "description": "description"}
TOPIC_NAMES = {"keyword": "keyword", "occupation": "occupation", "occupation_title": "occupation",
               "cip": "CIP programme", "description": "description"}

CREDENTIALS = Profile(
    tiers=(
        Tier("name_exact", 800, "name.sort", "keyword", "label"),
        Tier("name_start", 600, "name.sort", "keyword_prefix", "label"),
        Tier("name_whole_words", 550, "name.exact", "words", "label"),
        Tier("name_words", 500, "name.prefix", "words", "label"),
        Tier("alt_words", 300, "alternate_names.prefix", "phrase", "alt"),
        Tier("name_fuzzy", 200, "name.prefix", "fuzzy", "label", graded=True),
        Tier("alt_fuzzy", 100, "alternate_names.prefix", "fuzzy", "alt", graded=True),
        Tier("about_keyword", 90, TOPICS["keyword"], "phrase", "keyword"),
        Tier("about_occupation", 80, TOPICS["occupation"], "phrase", "occupation"),
        Tier("about_occupation_title", 70, TOPICS["occupation_title"], "phrase", "occupation_title"),
        Tier("about_cip", 60, TOPICS["cip"], "phrase", "cip"),
        Tier("about_description", 10, TOPICS["description"], "words", "description", graded=True),
    ),
    source=("id", "name", "type"),
    sort=({"_score": "desc"}, {"name.sort": "asc"}, {"id": "asc"}),
    alternate_fields=("alternate_names.prefix",),
    item=_credential_item,
)

SECTORS = replace(VOCABULARY, source=VOCABULARY.source + ("detail",), item=_sector_item, collapse_same_as_broader=True)

# What `GET /api/v1/autocomplete/<target>` may ask for, and how each is searched.
TARGETS: dict[str, Profile] = {
    "occupations": VOCABULARY,
    "sectors": SECTORS,
    "programs": PROGRAMS,
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


def clamp_offset(offset: int) -> int:
    return max(0, min(int(offset), MAX_OFFSET))


def build_autocomplete_query(text: str, size: int = 10, target: str = "occupations",
                             exclude: Iterable[str] = (), offset: int = 0, relaxed: bool = False,
                             weights: list | None = None, typos: bool = True) -> dict:
    """The search body for `text` typed into the `target` field (a name from TARGETS): its strict
    tiers, and with `relaxed` the second step's tiers too (`weights` from relaxed.word_weights;
    the typo tiers only with `typos`). Skills and credentials have one step: all their tiers.
    `offset` skips that many hits, for "Show more" (the sort ends in a unique field, so pages never
    overlap; the relaxed tiers rank below every strict one, so a relaxed page continues a strict one)."""
    profile = TARGETS[target]
    text = text.strip()[:MAX_TEXT]
    tiers = list(profile.tiers)
    if relaxed:
        tiers += [tier for tier in profile.relaxed if typos or not tier.fuzzy]
    clauses = [clause for tier in tiers if tier.applies_to(text)
               for clause in [tier.clause(text, weights)] if clause is not None]
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


def matched_on(hit: dict, profile: Profile, text: str) -> str | None:
    """What to show after the arrow ("RN -> Registered Nurses"), or None when the label matched."""
    shows = _shows(hit, profile) - set(TOPICS)
    if "label" in shows or not shows:
        return None
    if "code" in shows:
        return hit["_source"].get("code") or hit["_id"]
    if shows <= {"occupation", "occupation_alt"}:
        entry = crosswalk_via(hit, text)
        if entry is None or "occupation_alt" not in shows:
            return None
        words = relaxing.clean_text(text)
        return best_alternate(mark_typed_words(entry["alt"], words), words) if entry["alt"] else None
    sources = profile.alternate_source or (("alt_labels",) if "alt_labels" in hit["_source"] else ())
    if sources:
        values = [v for field in sources for v in hit["_source"].get(field) or []]
        return best_alternate(mark_typed_words(values, text), text)
    fragments = [f for field in profile.alternate_fields for f in hit.get("highlight", {}).get(field, [])]
    return best_alternate(fragments, text)


def crosswalk_via(hit: dict, text: str) -> dict | None:
    """The occupation a programme was found through: of those it leads to, the one whose title or
    alternate titles share most of the typed words."""
    typed = [w[:max(_STEM_KEEP, len(w) - 3)] for w in relaxing.clean_text(text).split()]

    def shared(value: str) -> int:
        words = fold(value).split()
        return sum(any(w.startswith(stem) or stem.startswith(w or "\0") for w in words) for stem in typed)

    entries = hit["_source"].get("crosswalk") or []
    scored = [(max([shared(entry["label"])] + [shared(alt) for alt in entry["alt"]]), -i, entry)
              for i, entry in enumerate(entries)]
    best = max(scored, default=None, key=lambda row: row[:2])
    return best[2] if best and best[0] > 0 else None


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
        tier = winning_tier(hit, profile)
        item["tier"] = tier.name if tier else None
        item["relaxed"] = tier is not None and tier in profile.relaxed
        via = crosswalk_via(hit, text) if _shows(hit, profile) <= {"occupation", "occupation_alt"} else None
        item["via"] = via["label"] if via else None
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


# --- running it --------------------------------------------------------------------------------


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
        weights = (word_statistics.word_weights(client, index, text, timeout, profile.head_factor,
                                                hint=hits[0].get("_index") if hits else None)
                   if wants_weights(profile, text, strict_total) else None)
        body = build_autocomplete_query(text, size, target, exclude, offset, relaxed=True, weights=weights,
                                        typos=strict_total == 0)
        resp = client.search(index=index, body=body, **params)
        return Suggestions(text, resp["hits"]["total"]["value"], parse_autocomplete_response(resp, text, target),
                           took + resp.get("took", 0), relaxed=True)
    return Suggestions(text, resp["hits"]["total"]["value"], parse_autocomplete_response(resp, text, target), took)
