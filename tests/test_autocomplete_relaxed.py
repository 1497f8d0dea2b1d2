"""Official licence and programme names in autocomplete (issue 11), against real OpenSearch on the
bundled taxonomies: qualifiers and noise words, programmes found through the occupations they
lead to, how each item matched, and no typo noise when something matched exactly (issue 16).
The pure text functions of indexer/relaxed.py are checked without any service at the end.
"""
from __future__ import annotations

import pytest

from indexer import word_statistics
from indexer.autocomplete import wants_typos
from indexer.client import web_client
from indexer.registry import INDICES
from indexer.relaxed import (
    abbreviations,
    clean_text,
    head_words,
    weights_from_term_vectors,
)

API = "/api/v1/autocomplete"


@pytest.fixture(autouse=True, scope="module")
def _built(indices):
    return indices


def ask(client, vocabulary: str, q: str, **params) -> dict:
    response = client.get(f"{API}/{vocabulary}", query_string={"q": q, **params})
    assert response.status_code == 200, response.json
    return response.json


def codes(answer: dict, n: int = 5) -> list[str]:
    return [item["code"] for item in answer["items"][:n]]


# --- qualifiers and noise words ----------------------------------------------------------------


@pytest.mark.parametrize("q, expected, n", [
    ("BARBER - APPRENTICE", "39-5011.00", 1),                 # Metal Workers and Plastic Workers before
    ("STATIONARY ENGINEER, 2ND CLASS", "51-8021.00", 1),      # nothing before
    ("TEMPORARY SUBSTITUTE TEACHER", "25-3031.00", 3),
    ("ELECTRICIAN (MAINTENANCE)", "47-2111.00", 5),
])
def test_licence_titles_with_qualifiers_find_the_occupation(client, q, expected, n):
    answer = ask(client, "occupations", q)
    assert answer["relaxed"] is True
    assert expected in codes(answer, n), answer["items"][:n]
    if n == 1:  # nothing matched strictly: a relaxed tier found it, and says so
        assert answer["items"][0]["relaxed"] is True
        assert answer["items"][0]["tier"] in ("label_clean", "alt_clean", "most_words")


def test_the_head_noun_counts_more_than_its_modifier(client):
    # Strictly, only "Hospital Pharmacist" (an alternate title of Pharmacists) has both words; the
    # relaxed rest must be about pharmacy, not about hospitals.
    answer = ask(client, "occupations", "HOSPITAL PHARMACIST")
    assert codes(answer, 1) == ["29-1051.00"]
    relaxed = [item for item in answer["items"] if item["relaxed"]]
    assert relaxed and all("Pharm" in item["label"] or "pharm" in (item["matched"] or "").lower()
                           for item in relaxed[:2]), relaxed


def test_a_parenthesised_abbreviation_is_looked_up_on_its_own(client):
    item = ask(client, "occupations", "CERTIFIED PUBLIC ACCTS (CPA)")["items"][0]
    assert (item["code"], item["tier"], item["relaxed"]) == ("13-2011.00", "abbreviation", True)
    assert "CPA" in item["matched"]


def test_words_the_vocabulary_never_uses_are_not_required(client):
    # "MASTER HVACR CONTRACTOR" found nothing: HVACR and master are in no title.
    answer = ask(client, "programs", "Welding Fundamentals Part 2")
    assert codes(answer, 1) == ["48.0508"]


def test_strict_answers_that_fill_the_page_run_no_relaxed_tier(client):
    answer = ask(client, "occupations", "registered nurse", size=3)
    assert answer["relaxed"] is False
    assert {item["relaxed"] for item in answer["items"]} == {False}


# --- programmes through the occupations they lead to ----------------------------------------------


def test_a_programme_is_found_through_a_crosswalked_occupation(client):
    # No CIP title or example says Java: the Web Developers the programmes lead to do.
    answer = ask(client, "programs", "Java Full Stack Bootcamp")
    assert answer["items"], "a programme name that dead-ended before"
    first = answer["items"][0]
    assert first["code"] in {"11.0201", "11.0701", "11.0801", "11.0202", "11.0804"}, answer["items"]
    assert first["relaxed"] is True and first["via"]


def test_how_it_matched_names_the_crosswalked_occupation_and_its_title(client):
    answer = ask(client, "programs", "Certified Nurses Aide")
    via = [item for item in answer["items"] if item["via"] == "Nursing Assistants"]
    assert via, answer["items"]
    assert via[0]["tier"].startswith("occupation") or via[0]["tier"] == "most_words"
    assert "Aide" in (via[0]["matched"] or "")
    # The programme whose own title says it comes first, and says nothing more.
    first = answer["items"][0]
    assert (first["code"], first["via"]) == ("51.3902", None)


def test_every_item_says_how_it_matched(client):
    for vocabulary, q in (("occupations", "RN"), ("occupations", "BARBER - APPRENTICE"), ("sectors", "trucking"),
                          ("programs", "Java Full Stack Bootcamp")):
        for item in ask(client, vocabulary, q)["items"]:
            assert {"tier", "relaxed", "via", "matched"} <= set(item), item
            assert item["tier"], item


# --- issue 16: typo noise and stems -------------------------------------------------------------


# --- vendor and licence names; the software of a programme's occupations ----------------------


@pytest.mark.parametrize("q, vocabulary, expected", [
    # From the Texas ETPL's credential names (store.taxonomy_sources.read_credential_names).
    ("CompTIA Security+", "occupations", {"15-1231.00", "15-1244.00", "15-1212.00"}),
    ("NCLEX RN", "occupations", {"29-1141.00"}),
    ("CDL", "programs", {"49.0205"}),
])
def test_a_credential_name_reaches_what_providers_tie_it_to_and_says_so(client, q, vocabulary, expected):
    answer = ask(client, vocabulary, q)
    found = [item for item in answer["items"][:5] if item["code"] in expected]
    assert found, answer["items"][:5]
    named = [item for item in found if item["tier"] == "credential_exact"]
    assert named and named[0]["via"].casefold() == q.casefold() and named[0]["relaxed"] is False, found


def test_a_programme_is_found_through_the_software_its_occupations_use(client):
    """No programme title, example or occupation title says "Kubernetes"; O*NET says the software
    developers and programmers that computing programmes lead to use it."""
    answer = ask(client, "programs", "Kubernetes")
    assert answer["relaxed"] is True
    computing = [item for item in answer["items"][:5] if item["code"].startswith("11.")]
    assert computing and all(item["via"] == "Kubernetes" and item["relaxed"] for item in computing), answer["items"][:5]


@pytest.mark.parametrize("q, noise", [
    ("welder", {"Elderly Companion", "Welter", "Weeder"}),
    ("bus driver", {"Bung Driver"}),
])
def test_typo_noise_is_dropped_when_something_matched_exactly(client, q, noise):
    answer = ask(client, "occupations", q, size=20)
    shown = {item["label"] for item in answer["items"]} | {item["matched"] for item in answer["items"]}
    assert not shown & noise
    assert all("fuzzy" not in item["tier"] for item in answer["items"])


def test_typos_are_still_forgiven_when_nothing_matched_exactly(client):
    item = ask(client, "occupations", "regsitered nurse")["items"][0]
    assert (item["code"], item["relaxed"]) == ("29-1141.00", True)


def test_a_name_of_real_words_that_matches_nothing_strictly_gets_no_typo_tiers(client, settings):
    # Every word of an official name is a word of the vocabulary: nothing to forgive, and the
    # typo tiers (every word, one edit each) were most of the second request's time for such names.
    alias = INDICES["occupations"].alias(settings.index_prefix)
    os_client = web_client(settings.opensearch_url)
    word_statistics.statistics(os_client, alias, wait=True)  # read once per index, in the background
    assert word_statistics.unknown_words(os_client, alias, "STATIONARY ENGINEER, 2nd class") == ["2nd"]
    assert not wants_typos(os_client, alias, "STATIONARY ENGINEER, 2ND CLASS", strict_total=0)
    answer = ask(client, "occupations", "STATIONARY ENGINEER, 2ND CLASS")
    assert answer["relaxed"] and not any("fuzzy" in item["tier"] for item in answer["items"])
    # A misspelt word is not a word of the vocabulary ("registred": its stem would be registry's).
    assert word_statistics.unknown_words(os_client, alias, "registred nurse") == ["registred"]
    assert wants_typos(os_client, alias, "registred nurse", strict_total=0)
    assert not wants_typos(os_client, alias, "registred nurse", strict_total=3)  # something matched


def test_trucking_reaches_truck_transportation(client):
    assert "484" in codes(ask(client, "sectors", "trucking"), 5)


# --- the text functions, without services ---------------------------------------------------------


@pytest.mark.parametrize("text, cleaned", [
    ("STATIONARY ENGINEER, 2ND CLASS", "stationary engineer"),
    ("BARBER - APPRENTICE", "barber"),
    ("Welding Fundamentals Part 2", "welding"),
    ("Medical Office Assistant Evening", "medical office assistant"),
    ("Heating/Air-Conditioning & Refrigeration", "heating air conditioning refrigeration"),
    ("Certified Public Accountant (CPA)", "public accountant"),
    ("ELECTRICIAN LEVEL II", "electrician"),
    ("Apprentice", "apprentice"),  # nothing but noise: keep it rather than search for nothing
])
def test_clean_text_drops_qualifiers_and_noise(text, cleaned):
    assert clean_text(text) == cleaned


def test_head_words_and_abbreviations():
    assert head_words("STATIONARY ENGINEER, 2ND CLASS") == ["stationary", "engineer"]
    assert head_words("MASTER HVACR CONTRACTOR") == ["hvacr", "contractor"]
    assert head_words("ELECTRICIAN (MAINTENANCE)") == ["electrician"]
    assert abbreviations("Certified Public Accountant (CPA)") == ["CPA"]
    assert abbreviations("Electrician (maintenance)") == []


def test_weights_come_from_term_statistics_with_the_head_counting_double():
    text = "HOSPITAL PHARMACIST TRAINEE XYZZY"
    vectors = {"term_vectors": {"words": {"field_statistics": {"doc_count": 1000}, "terms": {
        "hospit": {"doc_freq": 100, "tokens": [{"start_offset": 0, "end_offset": 8}]},
        "pharmacist": {"doc_freq": 10, "tokens": [{"start_offset": 9, "end_offset": 19}]},
        "traine": {"doc_freq": 100, "tokens": [{"start_offset": 20, "end_offset": 27}]},
        "xyzzi": {"doc_freq": 0, "tokens": [{"start_offset": 28, "end_offset": 33}]},
    }}}}
    weights = {w.term: w for w in weights_from_term_vectors(text, vectors)}
    assert set(weights) == {"hospit", "pharmacist", "traine"}  # an unknown word cannot count
    assert weights["pharmacist"].head and not weights["hospit"].head
    assert weights["pharmacist"].weight > 2 * weights["hospit"].weight
    assert weights["traine"].noise and weights["traine"].weight < weights["hospit"].weight
    # An unknown last word ("Nursing ... AAS") leaves the head to the last word the vocabulary knows.
    nursing = {"term_vectors": {"words": {"field_statistics": {"doc_count": 1000}, "terms": {
        "nurs": {"doc_freq": 50, "tokens": [{"start_offset": 0, "end_offset": 7}]},
        "aa": {"doc_freq": 0, "tokens": [{"start_offset": 8, "end_offset": 11}]}}}}}
    assert [(w.term, w.head) for w in weights_from_term_vectors("Nursing AAS", nursing)] == [("nurs", True)]
