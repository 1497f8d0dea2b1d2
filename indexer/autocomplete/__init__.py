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
strictly: "welder" must not bring Welter and Weeder; and only for the words of 5+ letters that the
vocabulary never uses, steps.wants_typos), the name without its qualifiers and noise
("BARBER - APPRENTICE" -> barber), a parenthesised abbreviation ("(CPA)"), and most of the words
weighted by how informative they are. Programmes are also found through the occupations they lead
to (CIP->SOC crosswalk). Each item says which tier matched and whether it was a relaxed one, and
which alternate title or crosswalked occupation (answer.py, from the hit's own titles: nothing is
highlighted).

The tiers are data (VOCABULARY.tiers, CREDENTIALS.tiers) and `build_autocomplete_query` only reads
them. User text reaches OpenSearch only inside match, match_phrase, term and prefix queries, never
query_string, so no character the user types can become query syntax.

The package, by part: tiers.py (the ways to match, and the limits), profiles.py (tiers per kind of
index: TARGETS), query.py (the search body), answer.py (the list, and how each item matched),
steps.py (`suggest`: one or two requests). What others import is re-exported here.
"""
from __future__ import annotations

from indexer.autocomplete.answer import (  # noqa: F401
    about,
    best_alternate,
    closest_alternate,
    crosswalk_via,
    matched_on,
    parse_autocomplete_response,
    winning_tier,
)
from indexer.autocomplete.profiles import (  # noqa: F401
    CLEAN_TIERS,
    CONCEPT_FIELDS,
    CREDENTIALS,
    PROGRAM_FIELDS,
    PROGRAMS,
    SECTORS,
    SKILLS,
    STRICT_TIERS,
    TARGETS,
    TOPIC_NAMES,
    TOPICS,
    TYPO_TIERS,
    VOCABULARY,
    Profile,
)
from indexer.autocomplete.query import (  # noqa: F401
    MARK_END,
    MARK_START,
    SAME_AS_BROADER,
    build_autocomplete_query,
    clamp_offset,
    clamp_size,
    highlighted,
    is_searchable,
    tier_clauses,
)
from indexer.autocomplete.steps import Suggestions, needs_second_step, suggest, wants_typos, wants_weights  # noqa: F401
from indexer.autocomplete.tiers import (  # noqa: F401
    CODE_KINDS,
    FUZZINESS,
    FUZZY_MIN_WORD,
    GRADE,
    MAX_EXCLUDE,
    MAX_OFFSET,
    MAX_SIZE,
    MAX_TEXT,
    MIN_CHARS,
    MOST_MIN_WORDS,
    MOST_WORDS,
    PREFIX_GRAMS,
    SAME_TITLE_SLOP,
    SOC_CODE,
    Tier,
    agent_text,
    fold,
)
