"""Autocomplete's tiers: the ways a text can match, each with the constant score that ranks it.

A tier says which field it searches and how (`Tier.how`), and builds its clause for a typed text;
indexer/autocomplete/profiles.py puts them together per kind of index. The limits on what may be
asked (text length, page size, offset) live here too, because tiers and queries both read them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from indexer import relaxed as relaxing
from indexer.codes import looks_like_code, normalize_code

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
_FUZZY = {"fuzziness": FUZZINESS, "prefix_length": 0, "max_expansions": 50}
# Which typed words the typo tiers may find with a typo: every one (True), or only these (the
# folded words the vocabulary does not use: steps.wants_typos); False or none, no typo tiers.
Typos = bool | frozenset[str]
# The share of a graded tier's relevance that is added to its constant boost.
GRADE = 0.001
# "Most of the words": with 2 to 5 typed words all but one must match, with more three quarters.
# The tier is graded, so the hits that match more (and rarer) words come first within it.
MOST_MIN_WORDS = 2
MOST_WORDS = "1<-1 5<75%"
# A doer's name ends in -er/-or ("welder", "driver", "operator"); cut off, what is left starts the
# name of the work ("weld" -> welding, "driv" -> driving). Only for words of 5+ letters that keep 4.
_AGENT = re.compile(r"^(\w{4,}?)(?:er|or)s?$")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lowercase, accents and punctuation removed, single spaces: how the index compares text."""
    if text.isascii():  # most titles: nothing to decompose (and four times faster)
        return _NOT_WORD.sub(" ", text.replace("'", "").casefold()).strip()
    text = unicodedata.normalize("NFKD", text.replace("'", "").replace("\u2019", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


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

    def clause(self, text: str, weights: list | None = None, typos: Typos = True) -> dict | None:
        """The query for this tier, or None when it has nothing to look for (`weighted` without
        weights: no word of the text is in the vocabulary). `typos`: the words a fuzzy tier may
        find with a typo (True: every word); the others it matches as they are typed."""
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
        elif how == "fuzzy" and typos is True:
            query = {"match": {field: {"query": text, "operator": "and", **_FUZZY}}}
        elif how == "fuzzy":
            query = {"bool": {"must": [{"match": {field: {"query": word, **(_FUZZY if word in typos else {})}}}
                                       for word in fold(text).split()]}}
        elif how == "fuzzy_title":
            words = [w[:PREFIX_GRAMS] for w in fold(text).split()]
            query = {"span_near": {"clauses": [
                {"span_multi": {"match": {"fuzzy": {field: {"value": w, "fuzziness": FUZZINESS, "max_expansions": 50}}}}}
                if typos is True or w in typos else {"span_term": {field: w}}
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
