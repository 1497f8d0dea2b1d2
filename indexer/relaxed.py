"""Relaxed matching: what autocomplete tries when the strict tiers do not fill the page.

Official names carry words that no taxonomy label has: "STATIONARY ENGINEER, 2ND CLASS",
"BARBER - APPRENTICE", "Welding Fundamentals Part 2", "Java Full Stack Bootcamp". Requiring every
word dead-ends them. The relaxed tiers instead
  * drop qualifiers and noise ("2ND CLASS", "APPRENTICE", "BOOTCAMP", "PART 2") and match what is
    left, word for word (`clean_text`);
  * look a parenthesised abbreviation up on its own ("CERTIFIED PUBLIC ACCOUNTANT (CPA)");
  * and, last, match *most* of the words, each weighted by how informative it is in the vocabulary
    (its inverse document frequency, read from the index's own term statistics, so nothing is
    typed by hand), the head noun of the name ("...TECHNICIAN", "...TEACHER") counting double and
    noise words counting little (`word_weights`, `weighted_clause`). A word the vocabulary never
    uses ("bootcamp", "hvacr") carries no weight: it can neither match nor be required.

Everything here builds plain term, match and bool queries; user text never becomes query syntax.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

# Qualifiers that licence and programme names add to the name of the work: grades and classes,
# status, delivery, packaging. Down-weighted in the weighted tier, dropped by clean_text.
NOISE_WORDS = frozenset("""
    class grade level part step phase stage tier module unit year
    apprentice apprenticeship trainee journeyman journeyperson journey master senior junior
    temporary limited provisional permanent restricted conditional probationary emergency
    initial renewal reciprocal reciprocity inactive active retired
    evening weekend day night hybrid online virtual remote distance accelerated intensive
    bootcamp boot camp fundamentals fundamental essentials essential basics basic introduction intro
    beginning beginner intermediate advanced professional program programme programs course courses
    certificate certificates certification certifications certified credential diploma degree
    training train prep preparation review exam examination license licence licensed licensure
    registration registered endorsement permit seal seals red blue gold silver green black white
    new online part-time full-time fulltime parttime only plus series track pathway option
""".split())
_ORDINAL = re.compile(r"^(?:\d+(?:st|nd|rd|th)?|[ivx]{1,4}|first|second|third|fourth|fifth|one|two|three|four)$")
# "(CPA)", "(LVN)": a short all-capitals word in parentheses names the same thing.
_ABBREVIATION = re.compile(r"\(\s*([A-Z][A-Z0-9+&/.]{1,9})\s*\)")
_PARENTHESES = re.compile(r"\([^)]*\)?")
# Where the name of the work ends and its qualifiers start: "ENGINEER, 2ND CLASS", "BARBER - APPRENTICE".
_QUALIFIERS_START = re.compile(r",|\s[-\u2013\u2014]\s|\(|:")
_NOT_WORD = re.compile(r"[\W_]+")

# The head noun counts this many times its informativeness; a noise word this share of it.
HEAD_FACTOR = 2.0
NOISE_FACTOR = 0.15
# A hit must match words that carry at least this share of the query's weight ("most words"); the
# last tier takes any informative word (a quarter), so that a real name never dead-ends.
MOST_SHARE = 0.5
SOME_SHARE = 0.25


def fold(text: str) -> str:
    """Lowercase, accents and punctuation removed, "&" read as "and", single spaces."""
    text = unicodedata.normalize("NFKD", text.replace("'", "").replace("\u2019", "").replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def is_noise(word: str) -> bool:
    return word in NOISE_WORDS or bool(_ORDINAL.match(word))


def abbreviations(text: str) -> list[str]:
    """The abbreviations a name gives in parentheses: "Certified Public Accountant (CPA)" -> ["CPA"]."""
    return [m.group(1) for m in _ABBREVIATION.finditer(text)]


def clean_text(text: str) -> str:
    """`text` without its parenthesised abbreviations and its noise words, folded; the folded text
    when nothing would be left ("Apprentice" alone is still worth looking for)."""
    words = [w for w in fold(_ABBREVIATION.sub(" ", text)).split() if not is_noise(w) and w != "and"]
    return " ".join(words) or fold(text)


def head_words(text: str) -> list[str]:
    """Candidates for the head noun of a name, best last: the words that are not noise, before
    any qualifiers ("STATIONARY ENGINEER, 2ND CLASS" -> [stationary, engineer]); folded. The
    head is the last of them the vocabulary knows (see weights_from_term_vectors)."""
    main = _QUALIFIERS_START.split(text, maxsplit=1)[0]
    for candidate in (main, _PARENTHESES.sub(" ", text)):
        words = [w for w in fold(candidate).split() if not is_noise(w) and w != "and"]
        if words:
            return words
    return []


@dataclass(frozen=True)
class WordWeight:
    """One analysed word of the query (`term`, as the index stores it) and what it counts for."""

    term: str
    weight: float
    head: bool = False
    noise: bool = False


def idf(doc_freq: int, doc_count: int) -> float:
    """BM25's inverse document frequency, the same figure OpenSearch scores with."""
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


@dataclass(frozen=True)
class TermStatistics:
    """What the index knows of one analysed word: in how many concepts' texts it occurs (`doc_freq`,
    field `words`) and in how many concepts' own labels (`own_freq`, field `own_words`)."""

    term: str
    doc_freq: int
    own_freq: int


def weights_from_terms(text: str, found: list[tuple[TermStatistics, list[str]]], doc_count: int, own_count: int,
                       head_factor: float = HEAD_FACTOR) -> list[WordWeight]:
    """Word weights for `text` from the statistics of its analysed words: `found` holds, in term
    order, each term of the text with the folded words typed for it. A word's informativeness is
    counted among the concepts' own texts (`own_words`), or, for a word only the crosswalked
    occupations use ("java" for programmes), among everything (`words`). Words the vocabulary does
    not use at all are left out: they cannot match, so they cannot count."""
    known_terms = []
    for stats, typed in found:
        if not stats.doc_freq or not doc_count:
            continue
        informative = (idf(stats.own_freq, own_count) if stats.own_freq and own_count
                       else idf(stats.doc_freq, doc_count))
        known_terms.append((stats.term, informative, typed))
    candidates = head_words(text)
    known = {w for _, _, typed in known_terms for w in typed}
    heads = [w for w in candidates if w in known][-1:]
    out = []
    for term, informative, typed in known_terms:
        noise = bool(typed) and all(is_noise(w) for w in typed)
        head = any(w in heads for w in typed)
        weight = informative * (head_factor if head else 1.0) * (NOISE_FACTOR if noise else 1.0)
        out.append(WordWeight(term, weight, head, noise))
    return out


def field_counts(vectors: dict) -> tuple[int, int]:
    """The number of concepts with a `words` and with an `own_words` text, from a term vectors answer."""
    fields = vectors.get("term_vectors", {})
    return tuple(fields.get(name, {}).get("field_statistics", {}).get("doc_count", 0)
                 for name in (WORDS_FIELD, OWN_WORDS_FIELD))


def terms_from_term_vectors(text: str, vectors: dict) -> list[tuple[TermStatistics, list[str]]]:
    """The terms of a term vectors answer about `text`, in term order, each with its statistics and
    the folded words it was analysed from (by offset)."""
    fields = vectors.get("term_vectors", {})
    words, own = fields.get(WORDS_FIELD) or {}, fields.get(OWN_WORDS_FIELD) or {}
    found = []
    for term, stats in words.get("terms", {}).items():
        own_freq = own.get("terms", {}).get(term, {}).get("doc_freq", 0)
        typed = [fold(text[t["start_offset"]:t["end_offset"]]) for t in stats.get("tokens", []) if "start_offset" in t]
        found.append((TermStatistics(term, stats.get("doc_freq", 0), own_freq), typed))
    return found


def weights_from_term_vectors(text: str, vectors: dict, head_factor: float = HEAD_FACTOR) -> list[WordWeight]:
    """Word weights for `text` from a term vectors answer about it (see word_weights)."""
    if not vectors.get("term_vectors", {}).get(WORDS_FIELD):
        return []
    doc_count, own_count = field_counts(vectors)
    return weights_from_terms(text, terms_from_term_vectors(text, vectors), doc_count, own_count, head_factor)


class _Cache:
    """A small least-recently-used cache: people type the same names again, and a vocabulary's
    statistics change only when an operator reindexes it."""

    def __init__(self, size: int = 4096):
        self.size, self.items, self.lock = size, OrderedDict(), Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_WEIGHTS = _Cache()
WORDS_FIELD = "words"  # every searchable text of a concept, stemmed (mappings/vocabulary-v3)
OWN_WORDS_FIELD = "own_words"  # ... of its own: label, alternate and hidden labels


def term_vectors_request(text: str) -> dict:
    """The term vectors request about `text` as an artificial document (also one `docs` entry
    of `_mtermvectors`, which the relevance bench batches)."""
    return {"doc": {WORDS_FIELD: text, OWN_WORDS_FIELD: text}, "fields": [WORDS_FIELD, OWN_WORDS_FIELD],
            "term_statistics": True, "field_statistics": True, "positions": False, "offsets": True}


def word_weights(client, index: str, text: str, timeout: float | None = None,
                 head_factor: float = HEAD_FACTOR) -> list[WordWeight]:
    """How much each word of `text` tells, from the index's own statistics: one term vectors
    request on an artificial document, analysed as the index analyses its `words` field."""
    key = (index, text, head_factor)
    cached = _WEIGHTS.get(key)
    if cached is not None:
        return cached
    params = {"request_timeout": timeout} if timeout else {}
    vectors = client.termvectors(index=index, body=term_vectors_request(text), **params)
    weights = weights_from_term_vectors(text, vectors, head_factor)
    _WEIGHTS.put(key, weights)
    return weights


def weighted_clause(weights: list[WordWeight], fields: tuple[tuple[str, float, str], ...], name: str,
                    base: float, spread: float, share: float = MOST_SHARE) -> dict | None:
    """A hit scores `base` plus up to `spread` for the weight of the words it matches, its best
    field for each word counting (`fields`: (field, factor, what it shows)); hits below `share`
    of the whole weight are left out. Inner clauses are named `name:shows`, so the
    answer says which field matched."""
    total = sum(w.weight for w in weights)
    if not weights or total <= 0:
        return None
    per_word = []
    for word in weights:
        part = spread * word.weight / total
        per_word.append({"dis_max": {"queries": [
            {"constant_score": {"filter": {"term": {field: word.term}}, "boost": part * factor,
                                "_name": f"{name}:{shows}"}}
            for field, factor, shows in fields]}})
    return {"bool": {
        "must": [{"function_score": {"query": {"bool": {"should": per_word}}, "min_score": spread * share}}],
        "should": [{"match_all": {"boost": base}}],
        "_name": name,
    }}
