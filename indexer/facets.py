"""What the credential search offers, declared once: facets, searched fields and boosts, sorts, limits.

`indexer.search` builds every OpenSearch request from these tables and nothing else, the web
views render them, and the OpenAPI document lists the same names; adding a facet is one line here
(plus its keyword field in the mapping).

A facet is a keyword field of the credential document with a URL parameter name. Its values are
codes or ids (`29-1141.00`, `62`, `license`, an issuer's id); the words people read come from the
facet's label source when a page is drawn, so a taxonomy relabel shows up without a reindex.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Iterable

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES
from store.models import Concept, Organization, Scheme
from store.vocabulary import bound_scheme

# code -> label, for the codes given; codes without a label are left out (the caller shows the code).
Labeller = Callable[[Session, Iterable[str]], dict[str, str]]


def _labels_in_scheme(session: Session, scheme: str, codes: Iterable[str]) -> dict[str, str]:
    # Code and label only: a search labels up to a few hundred values, and loading whole concepts
    # (alternate titles, descriptions, links) cost more than the search itself.
    codes = list(codes)
    if not codes:
        return {}
    rows = session.execute(select(Concept.code, Concept.label).join(Scheme)
                           .where(Scheme.name == scheme, Concept.code.in_(codes)))
    return dict(rows.all())


def vocabulary_labels(vocabulary: str) -> Labeller:
    """Labels from whichever scheme the vocabulary is bound to (an operator may swap in their own)."""

    def labels(session: Session, codes: Iterable[str]) -> dict[str, str]:
        return _labels_in_scheme(session, bound_scheme(session, vocabulary), codes)

    return labels


def scheme_labels(scheme: str) -> Labeller:
    def labels(session: Session, codes: Iterable[str]) -> dict[str, str]:
        return _labels_in_scheme(session, scheme, codes)

    return labels


def choice_labels(choices: dict[str, str]) -> Labeller:
    def labels(_session: Session, codes: Iterable[str]) -> dict[str, str]:
        return {code: choices[code] for code in codes if code in choices}

    return labels


def issuer_labels(session: Session, codes: Iterable[str]) -> dict[str, str]:
    ids = {int(code) for code in codes if code.isascii() and code.isdigit() and len(code) < 12}
    if not ids:
        return {}
    rows = session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids)))
    return {str(org_id): name for org_id, name in rows}


@dataclass(frozen=True)
class Facet:
    """One way to narrow a search.

    name     the URL parameter (`?occupation=29-1141.00`) and the key in API answers
    field    the keyword field of the credential document it counts and filters
    title    its heading on the search page
    labels   where the words for its values come from
    size     how many values (most credentials first) a search returns for it
    shown    how many the page lists before "more…"
    open     whether the page shows it expanded when nothing in it is selected
    """

    name: str
    field: str
    title: str
    labels: Labeller
    size: int = 50
    shown: int = 8
    open: bool = True


FACETS: dict[str, Facet] = {
    f.name: f
    for f in (
        Facet("occupation", "occupation_codes", "Occupation", vocabulary_labels("occupations")),
        Facet("sector", "sector_codes", "Industry", vocabulary_labels("sectors")),
        Facet("skill", "skill_codes", "Skill", vocabulary_labels("skills")),
        Facet("type", "type", "Credential type", choice_labels(CREDENTIAL_TYPES), size=len(CREDENTIAL_TYPES)),
        Facet("issuer", "issuer.id", "Issuer", issuer_labels),
        Facet("delivery", "delivery", "Delivery", choice_labels(DELIVERY_MODES), size=len(DELIVERY_MODES)),
        Facet("cip", "cip_codes", "Program of study (CIP)", vocabulary_labels("programs")),
        # The browse pages lead here: SOC major groups (`29-0000`) and NAICS sectors (`62`, `31-33`).
        Facet("occupation_group", "soc_groups", "Occupation group", scheme_labels("soc-2018"), size=30, open=False),
        Facet("sector_group", "sector_roots", "Industry sector", vocabulary_labels("sectors"), size=30, open=False),
    )
}

# Browse pages: /browse/<name> lists every value of the facet with its count.
BROWSE: dict[str, str] = {"occupations": "occupation_group", "sectors": "sector_group"}

# --- free text -------------------------------------------------------------------------------

# Every word typed must appear in at least one of these fields; a field's boost says how much a
# match there is worth. Names weigh most; occupation_terms holds every alternate title of the
# linked occupations, so "RN" finds a nursing license whose own text never says RN.
TEXT_FIELDS: dict[str, float] = {
    "name": 6.0,
    "alternate_names": 4.0,
    "keywords": 3.0,
    "occupation_labels": 3.0,
    "occupation_terms": 2.0,
    "issuer.name": 2.0,
    "cip_labels": 1.5,
    "skill_labels": 1.5,
    "sector_labels": 1.5,
    "description": 1.0,
    "program_text": 0.5,
    "related_names": 0.5,
}
# The whole text as a phrase in these fields lifts a hit above one that has the words scattered.
PHRASE_BOOSTS: dict[str, float] = {"name": 4.0, "alternate_names": 2.0, "occupation_terms": 1.0}
# When nothing matches every word: fields searched with typos allowed, for the nearest matches.
FUZZY_FIELDS: dict[str, float] = {"name": 3.0, "alternate_names": 2.0, "occupation_labels": 2.0,
                                  "keywords": 1.5, "skill_labels": 1.0}
# A code typed as the query (`29-1141`, `51.3801`, `62`): an exact code beats a code it starts.
CODE_BOOSTS = {"exact": 20.0, "prefix": 5.0}
# Group codes matched as typed: the normalised `codes` field lacks NAICS sector ranges (`31-33`).
GROUP_CODE_FIELDS = ("sector_roots", "soc_groups")
# The did-you-mean suggester reads these (see `spelling` in mappings/credentials).
SPELLING_FIELD, SPELLING_SHINGLES, SPELLING_REVERSED = "spelling", "spelling.shingles", "spelling.reversed"

# Shown in a hit: the name whole, and a snippet of the description around the matched words.
HIGHLIGHT_FIELDS: dict[str, dict] = {
    "name": {"number_of_fragments": 0},
    "description": {"fragment_size": 180, "number_of_fragments": 1, "no_match_size": 180},
}

# Order of hits. Every sort ends on the id, so pages never overlap or skip a credential.
SORTS: dict[str, dict] = {
    "relevance": {"label": "Best match", "sort": ["_score", {"name.sort": "asc"}, {"id": "asc"}]},
    "name": {"label": "Name (A–Z)", "sort": [{"name.sort": "asc"}, {"id": "asc"}]},
    "newest": {"label": "Newest", "sort": [{"published_at": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]},
}
# Relevance without any text to be relevant to is alphabetical.
NO_TEXT_SORT = "name"

# --- limits ----------------------------------------------------------------------------------

DEFAULT_SIZE = 20
MAX_SIZE = 100
# OpenSearch's max_result_window in credentials-v1: pages end at the 10,000th hit.
MAX_WINDOW = 10_000
# Longer text is refused with a message rather than cut silently: nobody types 300 characters
# into a search box, and what arrives that long is pasted by mistake or sent by a script.
MAX_QUERY_CHARS = 256
# Words after the 32nd are ignored: each word becomes a clause per text field, and OpenSearch
# refuses queries of more than 1,024 clauses. The typo-tolerant fallback expands each word into
# similar terms, so it looks at fewer words still.
MAX_QUERY_WORDS = 32
MAX_FUZZY_WORDS = 8
MAX_VALUES_PER_FACET = 50
MAX_VALUE_CHARS = 100


# A search labels a few hundred facet values, and reading them costs more than the search itself,
# while labels change only when an operator imports a taxonomy or renames an organization. So each
# process keeps them for a few minutes (codes without a label too, so junk filter values do not
# reach the database again); a relabel shows within LABEL_TTL seconds, without any reindex.
LABEL_TTL = 300
_labels: TTLCache = TTLCache(maxsize=100_000, ttl=LABEL_TTL)
_labels_lock = threading.Lock()  # TTLCache is not thread-safe; gunicorn threads share it


def label_values(session: Session, values: dict[str, Iterable[str]]) -> dict[str, dict[str, str]]:
    """{facet: {value: label}} for the values given; one query per facet for the ones not cached."""
    out: dict[str, dict[str, str]] = {}
    for name, codes in values.items():
        codes = set(codes)
        with _labels_lock:
            known = {code: _labels[name, code] for code in codes if (name, code) in _labels}
        missing = codes - known.keys()
        if missing:
            found = FACETS[name].labels(session, missing)
            with _labels_lock:
                for code in missing:
                    _labels[name, code] = known[code] = found.get(code)
        out[name] = {code: label for code, label in known.items() if label is not None}
    return out


def forget_labels() -> None:
    with _labels_lock:
        _labels.clear()
