"""Autocomplete's profiles: how each kind of index is searched (its tiers, what is fetched, how hits
are ordered and shown), and TARGETS, what `GET /api/v1/autocomplete/<target>` may ask for.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from indexer import relaxed as relaxing
from indexer.autocomplete.tiers import Tier

@dataclass(frozen=True)
class Profile:
    """How one kind of index is searched: its tiers, what to fetch, how to order and show hits."""

    tiers: tuple[Tier, ...]
    source: tuple[str, ...]
    sort: tuple
    alternate_fields: tuple[str, ...]   # highlighted to show which alternate title matched
    item: Callable[[dict], dict]
    # Where the alternate titles are read from instead, when not highlighted (`_source` fields):
    # answer.mark_typed_words finds the typed words in them.
    alternate_source: tuple[str, ...] = ()
    kind_weights: tuple[tuple[str, float], ...] = ()  # score factors by the document's `kind`
    # Tiers of the second step (see the module docstring); none for skills and credentials.
    relaxed: tuple[Tier, ...] = ()
    # Fields fetched in the second step only (the programmes' crosswalk, for "via"). The second
    # step is never highlighted: highlighting the relaxed tiers' stemmed fields doubled its time.
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
    # The name of a credential that prepares for it, as a state's training providers give it
    # ("CompTIA Security+", "NCLEX RN"; store.taxonomy_sources.read_credential_names): whole, it
    # says nearly as much as an alternate title; its words, less than any title's words.
    Tier("credential_exact", 650, "credential_names.exact", "whole", "credential"),
    Tier("label_start", 600, "label.starts", "whole", "label"),
    Tier("label_words", 500, "label.prefix", "words", "label"),
    # Every word, stemmed: "trucking" finds Truck Transportation. The same band as word prefixes,
    # so the shorter, more general label wins the tie.
    Tier("label_stems", 500, "label.stem", "words", "label"),
    Tier("alt_start", 400, "alt_labels.starts", "whole", "alt"),
    Tier("alt_words", 300, "alt_labels.prefix", "phrase", "alt"),
    Tier("credential_words", 280, "credential_names.prefix", "phrase", "credential"),
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
CONCEPT_FIELDS = (("label.stem", 1.0, "label"), ("alt_labels.stem", 0.85, "alt"), ("hidden_labels.stem", 0.85, "hidden"),
                  ("credential_names.stem", 0.6, "credential"))
# A programme's own titles, then its occupations' titles, then the software they use (lowest).
PROGRAM_FIELDS = CONCEPT_FIELDS + (("occupation_titles", 0.7, "occupation"), ("occupation_alt_titles", 0.6, "occupation_alt"),
                                   ("occupation_technology", 0.3, "technology"))
# What a hit found through a credential's name or a technology shows as its "via" (answer.named_via).
NAMED_VIA = {"credential": "credential_names", "technology": "occupation_technology"}

VOCABULARY = Profile(
    tiers=STRICT_TIERS,
    source=("code", "label", "scheme", "credential_names", "alt_labels"),
    sort=({"_score": "desc"}, {"credential_count": "desc"}, {"label_length": "asc"}, {"code": "asc"}),
    # Which alternate title matched is worked out from `alt_labels` (answer.matched_on), not
    # highlighted: highlighting the three alternate-title fields was 60% of the strict request's
    # OpenSearch CPU (bench/autocomplete_latency.txt), for the one or two hits that show a title.
    alternate_fields=(),
    alternate_source=("alt_labels",),
    item=_concept_item,
    relaxed=CLEAN_TIERS + TYPO_TIERS + (
        Tier("most_words", 40, "", "weighted", "label", fields=CONCEPT_FIELDS),
        Tier("some_words", 12, "", "weighted", "label", fields=CONCEPT_FIELDS, share=relaxing.SOME_SHARE),
    ),
)

# Programmes are also found through the occupations they lead to, below their own titles and
# examples: "Certified Nursing Aide" finds Nursing Assistant/Aide via Nursing Assistants.
PROGRAMS = Profile(
    tiers=STRICT_TIERS,
    source=VOCABULARY.source,
    sort=VOCABULARY.sort,
    alternate_fields=VOCABULARY.alternate_fields,
    alternate_source=VOCABULARY.alternate_source,
    item=_concept_item,
    relaxed=CLEAN_TIERS + TYPO_TIERS + (
        Tier("occupation_clean", 90, "occupation_titles", "clean_phrase", "occupation"),
        Tier("occupation_alt_clean", 80, "occupation_alt_titles", "clean_phrase", "occupation_alt"),
        Tier("most_words", 20, "", "weighted", "label", fields=PROGRAM_FIELDS),
        Tier("some_words", 8, "", "weighted", "label", fields=PROGRAM_FIELDS, share=relaxing.SOME_SHARE),
    ),
    # Programme names end in "Technology", "Certificate Entry", "AAS": the last word is no head noun.
    head_factor=1.0,
    relaxed_source=("crosswalk", "occupation_technology"),
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
