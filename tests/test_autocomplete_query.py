"""Unit tests of the autocomplete query builder and answer reader: pure functions, no services."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.autocomplete import (
    SAME_AS_BROADER,
    CREDENTIALS,
    SKILLS,
    FUZZINESS,
    GRADE,
    MARK_END,
    MARK_START,
    MAX_SIZE,
    PROGRAMS,
    TARGETS,
    VOCABULARY,
    best_alternate,
    build_autocomplete_query,
    agent_text,
    fold,
    closest_alternate,
    tier_clauses,
    matched_on,
    parse_autocomplete_response,
)
from indexer.registry import INDICES
from indexer.relaxed import WordWeight


def clause_names(body: dict) -> list[str]:
    return [next(iter(c.values()))["_name"] for c in tier_clauses(body["query"])]


def leaf_queries(node, found=None) -> list[tuple[str, dict]]:
    """Every (query type, body) pair in a query tree."""
    found = [] if found is None else found
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((key, value))
            leaf_queries(value, found)
    elif isinstance(node, list):
        for value in node:
            leaf_queries(value, found)
    return found


# --- the shape of the query --------------------------------------------------------------------


def test_text_tiers_rank_exact_then_alternate_then_prefix_then_fuzzy():
    body = build_autocomplete_query("nurse registered", 10, "occupations")
    strict = ["label_exact", "alt_exact", "credential_exact", "label_start", "label_words", "label_stems", "alt_start",
              "alt_words", "credential_words"]
    assert clause_names(body) == strict
    relaxed = build_autocomplete_query("nurse registered", 10, "occupations", relaxed=True, weights=[])
    assert clause_names(relaxed) == strict + ["label_clean", "alt_clean", "label_fuzzy", "alt_fuzzy_title",
                                              "alt_fuzzy"]
    no_typos = build_autocomplete_query("nurse registered", 10, "occupations", relaxed=True, typos=False)
    assert "label_fuzzy" not in clause_names(no_typos), "typo noise only when nothing matched strictly"
    assert "label_fuzzy" not in clause_names(build_autocomplete_query("nurse registered", 10, relaxed=True,
                                                                      typos=frozenset()))


def test_typo_tiers_make_fuzzy_only_the_words_that_may_have_a_typo():
    body = build_autocomplete_query("registred nurse", 10, "occupations", relaxed=True, typos=frozenset({"registred"}))
    fuzzy = {key: value for key, value in leaf_queries(body) if key in ("fuzzy", "span_term", "match")}
    assert fuzzy["fuzzy"] == {"alt_labels.prefix": {"value": "registred", "fuzziness": FUZZINESS, "max_expansions": 50}}
    assert fuzzy["span_term"] == {"alt_labels.prefix": "nurse"}
    matches = [value for key, value in leaf_queries(body) if key == "match" and "label.prefix" in value
               and "operator" not in value["label.prefix"]]  # the typo tier's words, not label_words
    assert {m["label.prefix"]["query"]: "fuzziness" in m["label.prefix"] for m in matches} == {
        "registred": True, "nurse": False}
    # Every word may have one: one match over the whole text, as before the words were known.
    everything = build_autocomplete_query("registred nurse", 10, "occupations", relaxed=True, typos=True)
    assert {"query": "registred nurse", "operator": "and", "fuzziness": FUZZINESS, "prefix_length": 0,
            "max_expansions": 50, "boost": GRADE} in [v.get("label.prefix") for k, v in leaf_queries(everything)
                                                      if k == "match"]
    for profile in (VOCABULARY, PROGRAMS):
        boosts = [tier.boost for tier in profile.tiers + profile.relaxed]
        assert boosts == sorted(boosts, reverse=True), "tiers are declared best first"
    assert body["query"]["dis_max"]["tie_breaker"] == 0.0, "a hit's score is its best tier, not a sum"


@pytest.mark.parametrize("typed, rewritten", [
    ("welder", "weld"), ("Truck Drivers", "truck driv"), ("CNC operator", "cnc operat"), ("plumber", "plumb"),
    ("water", "water"), ("welding", "welding"), ("cook", "cook"),
])
def test_agent_text_turns_a_doer_into_the_start_of_the_work(typed, rewritten):
    assert agent_text(typed) == rewritten


def test_skills_tiers_add_stems_doers_hidden_labels_and_most_words():
    names = clause_names(build_autocomplete_query("truck driver training", 10, "skills"))
    assert {"label_whole_words", "label_stems", "label_agent", "alt_stems", "hidden_exact", "label_most"} <= set(names)
    assert "label_agent" not in clause_names(build_autocomplete_query("welding", 10, "skills"))
    assert "label_most" not in clause_names(build_autocomplete_query("welding", 10, "skills"))
    boosts = [tier.boost for tier in SKILLS.tiers]
    assert boosts == sorted(boosts, reverse=True), "tiers are declared best first"


def test_skills_rank_tools_and_products_below_skills_that_match_as_well():
    body = build_autocomplete_query("forklift", 10, "skills")
    weights = {f["filter"]["term"]["kind"]: f["weight"] for f in body["query"]["function_score"]["functions"]}
    assert weights["tool"] < weights["technology"] < 1
    assert body["sort"][1] == {"kind_rank": "asc"}, "a skill before a tool in the same tier"
    assert "function_score" not in build_autocomplete_query("nurse", 10, "occupations")["query"]


def test_skills_say_which_alternative_label_matched_without_highlighting():
    assert "highlight" not in build_autocomplete_query("cpr", 10, "skills")
    hit = {"_id": "x", "_source": {"code": "x", "label": "provide first aid",
                                   "alt_labels": ["administer first aid", "conduct CPR", "perform cardiopulmonary resuscitation"],
                                   "hidden_labels": []}, "matched_queries": ["alt_whole_words"]}
    assert matched_on(hit, SKILLS, "cpr") == "conduct CPR"
    lessons = {"_id": "y", "_source": {"code": "y", "label": "prepare lesson content",
                                       "alt_labels": ["compose lesson content", "plan lesson content"]},
               "matched_queries": ["alt_stems"]}
    assert matched_on(lessons, SKILLS, "planning lessons") == "plan lesson content"
    assert closest_alternate(["use a hoist", "drive forklift"], "forklift driver") == "drive forklift"


def test_graded_tiers_never_reach_the_tier_above():
    """A graded tier adds GRADE x relevance; relevance would need to pass 50/GRADE to climb a tier."""
    for profile in (VOCABULARY, PROGRAMS, SKILLS, CREDENTIALS):
        tiers = profile.tiers + profile.relaxed
        for upper, lower in zip(tiers, tiers[1:]):
            if lower.graded:
                assert (upper.boost - lower.boost) / GRADE >= 50_000


def test_every_non_graded_tier_is_a_constant_score():
    body = build_autocomplete_query("regist nur", 10, "occupations")
    for clause in body["query"]["dis_max"]["queries"]:
        (kind, inner), = clause.items()
        tier = VOCABULARY.tier(inner["_name"])
        assert kind == ("bool" if tier.graded else "constant_score")


def test_fuzzy_tiers_allow_one_typo_in_words_of_five_letters_or_more():
    body = build_autocomplete_query("regsitered nurse", 10, "occupations", relaxed=True)
    fuzzy = [v for k, v in leaf_queries(body) if isinstance(v, dict) and "fuzziness" in v]
    fuzzy += [v for k, v in leaf_queries(body) if k == "fuzzy"]
    assert fuzzy, "typo tolerance is part of the query"
    for options in fuzzy:
        options = next(iter(options.values())) if "fuzziness" not in options else options
        assert options["fuzziness"] == FUZZINESS == "AUTO:5,99"


@pytest.mark.parametrize("text, fuzzy", [("cop", False), ("RN", False), ("nurs regi", False), ("Net Ma", False),
                                         ("nurse", True), ("rn regsitered", True)])
def test_fuzzy_tiers_only_when_a_word_is_long_enough_for_a_typo(text, fuzzy):
    names = set(clause_names(build_autocomplete_query(text, 10, "occupations", relaxed=True)))
    assert bool(names & {"label_fuzzy", "alt_fuzzy_title", "alt_fuzzy"}) is fuzzy


@pytest.mark.parametrize("text, tiers", [
    ("29-1141", {"code_exact", "code_prefix", "soc_code"}),
    ("291141", {"code_exact", "code_prefix", "soc_code"}),
    ("29-1141.00", {"code_exact", "code_prefix"}),
    ("51.3801", {"code_exact", "code_prefix"}),
    ("5138", {"code_exact", "code_prefix"}),
    ("62", {"code_exact", "code_prefix"}),
    ("nurse", set()),
    ("RN", set()),
    ("2 nurses", set()),
])
def test_code_tiers_join_only_when_the_text_looks_like_a_code(text, tiers):
    names = set(clause_names(build_autocomplete_query(text, 10, "occupations")))
    assert names & {"code_exact", "code_prefix", "soc_code"} == tiers


def test_codes_are_normalized_like_the_index_stores_them():
    body = build_autocomplete_query("29-1141", 10, "occupations")
    terms = [v for k, v in leaf_queries(body) if k in ("term", "prefix")]
    assert {"code_norm": "291141"} in terms                  # the SOC form O*NET codes also carry
    assert {"code_norm": "29114100"} in terms                # ... and the .00 occupation first


def test_size_is_capped_and_total_is_exact():
    assert build_autocomplete_query("nurse", 500)["size"] == MAX_SIZE == 50
    assert build_autocomplete_query("nurse", 0)["size"] == 1
    assert build_autocomplete_query("nurse", 7)["track_total_hits"] is True


def test_payload_is_sorted_by_tier_then_use_then_length_and_not_highlighted():
    body = build_autocomplete_query("nurse", 10, "occupations")
    # The alternate titles come back whole and the one that matched is found here: highlighting
    # them cost OpenSearch more than everything else the request asks.
    assert body["_source"] == ["code", "label", "scheme", "credential_names", "alt_labels"]
    assert body["sort"][:3] == [{"_score": "desc"}, {"credential_count": "desc"}, {"label_length": "asc"}]
    assert "highlight" not in body


def test_exclude_leaves_ids_out():
    body = build_autocomplete_query("nurse", 10, "occupations", exclude=["29-1141.00", ""])
    assert body["query"]["bool"]["must_not"] == [{"ids": {"values": ["29-1141.00"]}}]


def test_credentials_search_name_and_alternate_names():
    body = build_autocomplete_query("cdl class", 10, "credentials")
    fields = {field for k, v in leaf_queries(body) if k in ("match", "match_phrase", "term", "prefix")
              for field in v}
    assert {"name.prefix", "alternate_names.prefix", "name.exact", "name.sort"} <= fields
    assert body["_source"] == ["id", "name", "type"]


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_field_the_query_uses_is_in_the_mapping(target):
    """The query and the mapping live in different files; a renamed field would silently match nothing."""
    properties = INDICES[target].body()["mappings"]["properties"]

    def exists(path: str) -> bool:
        head, _, sub = path.partition(".")
        field = properties.get(head)
        if field is None:
            return False
        return not sub or sub in field.get("fields", {}) or sub in field.get("properties", {})

    profile = TARGETS[target]
    used = {tier.field for tier in profile.tiers + profile.relaxed if tier.field} | set(profile.alternate_fields)
    used |= set(profile.source) | set(profile.relaxed_source)
    used |= {field for tier in profile.relaxed for field, _, _ in tier.fields}
    used |= {next(iter(s)) for s in profile.sort if next(iter(s)) != "_score"}
    assert [f for f in sorted(used) if not exists(f)] == []


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), target=st.sampled_from(sorted(TARGETS)))
def test_user_text_never_reaches_query_syntax(text, target):
    body = build_autocomplete_query(text, 10, target, relaxed=True, weights=[WordWeight("nurs", 2.0, head=True)])
    json.dumps(body)
    kinds = {k for k, _ in leaf_queries(body["query"])}
    assert not kinds & {"query_string", "simple_query_string", "regexp", "wildcard"}
    # The one script is a constant (sectors named like their broader level), never user text.
    constant = {json.dumps(SAME_AS_BROADER["script"]), json.dumps(SAME_AS_BROADER["script"]["script"])}
    assert {json.dumps(v) for k, v in leaf_queries(body["query"]) if k == "script"} <= constant
    for clause in tier_clauses(body["query"]):
        if "span_near" in json.dumps(clause):
            assert clause["bool"]["must"][0]["span_near"]["clauses"], "no span query without words"


@pytest.mark.parametrize("special", list('"*()[]{}:\\/~^!') + ['"*()[]{}:\\/~^!', "AND OR NOT", "nurse~2", "a*"])
def test_special_characters_are_plain_text(special):
    """They reach OpenSearch only as the text of match queries, which analyze and never parse it."""
    body = build_autocomplete_query(special, 10, "occupations")
    texts = {options["query"] for kind, clause in leaf_queries(body["query"]) if kind in ("match", "match_phrase")
             for options in clause.values() if "query" in options}
    assert texts == {special}


# --- reading the answer ------------------------------------------------------------------------


@pytest.mark.parametrize("raw, folded", [
    ("Registered Nurses", "registered nurses"),
    ("  CAFÉ  Owner ", "cafe owner"),
    ("Police and Sheriff's Patrol Officers", "police and sheriffs patrol officers"),
    ("Pre-Op RN (Preoperative)", "pre op rn preoperative"),
    ("Ñandú, señor!", "nandu senor"),
])
def test_fold_matches_the_index_folding(raw, folded):
    assert fold(raw) == folded


def mark(text: str) -> str:
    return text.replace("[", MARK_START).replace("]", MARK_END)


def test_best_alternate_prefers_equal_then_starting_then_most_marked_then_shortest():
    fragments = [mark("[Cop] Winder"), mark("Animal [Cop]"), mark("[Cop]")]
    assert best_alternate(fragments, "cop") == "Cop"
    assert best_alternate([mark("Animal [Cop]"), mark("[Cop] Winder")], "cop") == "Cop Winder"
    assert best_alternate([mark("Postpartum [RN] (Postpartum [Registered] [Nurse])"),
                           mark("[Registered] [Nurse] Midwife")], "registered nurse") == "Registered Nurse Midwife"
    assert best_alternate([], "cop") is None


def hit(source: dict, names: list[str], highlight: dict | None = None, _id: str = "x") -> dict:
    return {"_id": _id, "_source": source, "matched_queries": names, "highlight": highlight or {}}


def test_matched_is_empty_when_the_label_matched():
    h = hit({"code": "29-1141.00", "label": "Registered Nurses", "alt_labels": ["Registered Nurse (RN)"]},
            ["label_words", "alt_words"])
    assert matched_on(h, VOCABULARY, "regist") is None


def test_matched_names_the_alternate_title():
    alternates = ["Staff Nurse", "RN Educator", "Registered Nurse Case Manager", "RN", "Nurse Educator"]
    h = hit({"code": "29-1141.00", "label": "Registered Nurses", "alt_labels": alternates},
            ["alt_exact", "alt_start", "alt_words"])
    assert matched_on(h, VOCABULARY, "RN") == "RN"
    # Starting with the text beats containing it; of two, the most of it, then the shortest.
    assert matched_on(hit(h["_source"], ["alt_start", "alt_words"]), VOCABULARY, "rn ed") == "RN Educator"
    assert matched_on(hit(h["_source"], ["alt_words"]), VOCABULARY, "nurse regis") == "Registered Nurse Case Manager"
    assert matched_on(hit(h["_source"], ["alt_words"]), VOCABULARY, "educ nurse") == "Nurse Educator"


def test_matched_names_the_code_when_the_code_matched():
    h = hit({"code": "29-1141.00", "label": "Registered Nurses"}, ["soc_code", "code_prefix"])
    assert matched_on(h, VOCABULARY, "29-1141") == "29-1141.00"


def test_parse_concepts_and_credentials():
    resp = {"hits": {"total": {"value": 1}, "hits": [
        hit({"code": "33-3051.00", "label": "Police and Sheriff's Patrol Officers", "scheme": "onet-soc",
             "alt_labels": ["Animal Cop", "Cop", "Cop Car Driver"]}, ["alt_exact"], _id="33-3051.00")]}}
    assert parse_autocomplete_response(resp, "cop", "occupations") == [
        {"id": "33-3051.00", "code": "33-3051.00", "label": "Police and Sheriff's Patrol Officers",
         "scheme": "onet-soc", "matched": "Cop", "tier": "alt_exact", "relaxed": False, "via": None}]
    resp = {"hits": {"total": {"value": 1}, "hits": [
        hit({"id": "42", "name": "Commercial Driver's License Class A", "type": "license"},
            ["alt_words"], {"alternate_names.prefix": [mark("[CDL]-A")]}, _id="42")]}}
    assert parse_autocomplete_response(resp, "cdl", "credentials") == [
        {"id": "42", "code": "license", "label": "Commercial Driver's License Class A", "scheme": "credentials",
         "matched": "CDL-A", "about": None, "tier": "alt_words", "relaxed": False, "via": None}]


def _closest_word_by_word(values: list[str], text: str) -> str | None:
    """closest_alternate the slow way: every word of every value compared with every stem."""
    typed = fold(text)
    stems = [w[:max(4, len(w) - 3)] for w in typed.split()]

    def shared(value: str) -> int:
        return sum(len(w) for w in fold(value).split() if any(w.startswith(s) or s.startswith(w) for s in stems))

    ranked = [((fold(v) != typed, not fold(v).startswith(typed), -shared(v), len(v)), v) for v in values if shared(v)]
    return min(ranked)[1] if ranked else (values[0] if values else None)


@pytest.mark.parametrize("text", ["registered assistant", "assistant", "reg", "midwife", "nurse mid", "o registrar",
                                  "ward", "technicians", "RN", "a", "clerk ward", "nurse-midwife"])
def test_closest_alternate_finds_what_a_word_by_word_comparison_finds(text):
    # closest_alternate searches all the values at once for a few substrings; that must find every
    # word that shares either way: starting with a typed stem, or being the start of one ("a", "reg").
    values = ["Technician A", "Registered Nurse", "Reg Nurse", "Ward Clerk", "Nurse-Midwife", "O'Registrar",
              "RN", "Clerk", "Registered Registered"]
    assert closest_alternate(values, text) == _closest_word_by_word(values, text)
    assert closest_alternate(values[::-1], text) == _closest_word_by_word(values[::-1], text)


def test_closest_alternate_picks_equal_then_starting_then_most_shared_then_shortest():
    assert closest_alternate(["Ward Clerk", "Technician A"], "assistant") == "Technician A"
    assert closest_alternate(["Ward Clerk", "Registered Nurse", "Reg Nurse"], "registered") == "Registered Nurse"
    assert closest_alternate(["Ward Clerk", "Nurse-Midwife"], "midwife") == "Nurse-Midwife"
    # None shares a word (found some other way, by a stem): the first is shown.
    assert closest_alternate(["Ward Clerk", "Nurse-Midwife"], "surgeon") == "Ward Clerk"
    assert closest_alternate([], "nurse") is None
