"""Word statistics kept per index generation (indexer/word_statistics.py), against real OpenSearch:
the weights they give equal the weights from term vectors of the whole text, on real official names
and the bundled vocabularies; and they follow the alias to a new index after a rebuild. The pure
text checks are at the end.
"""
from __future__ import annotations

import csv
import os
import uuid
from pathlib import Path

import pytest

from indexer import relaxed, word_statistics
from indexer.client import bulk_client
from indexer.lifecycle import drop_all, rebuild
from indexer.registry import INDICES

QUERYSETS = Path(__file__).resolve().parent.parent / "bench" / "querysets"
# Names that exercise the edges: punctuation, "&", possessives, accents, stop words only, unknown
# words, digits, repeated stems, and text the index cuts differently from fold() ("U.S.", "2.5").
EDGE_CASES = [
    "Heating/Air-Conditioning & Refrigeration", "O'Neil's Welders' Helper", "Café Cook", "of the and",
    "MASTER HVACR CONTRACTOR", "Java Full Stack Bootcamp", "STATIONARY ENGINEER, 2ND CLASS",
    "Nurse Nursing Nurses", "U.S. Army Medic", "2.5 ton truck driver", "1,000 hour barber", "x", "",
    "ELECTRICIAN LEVEL II", "Straße Bjørn Welding", "Certified Public Accountant (CPA)",
]


def real_names(vocabulary: str, n: int) -> list[str]:
    with (QUERYSETS / f"{vocabulary}_realnames.tsv").open(encoding="utf-8", newline="") as fh:
        rows = [r["query"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)]
    return rows[::max(1, len(rows) // n)][:n]


def from_term_vectors(client, index: str, text: str, head_factor: float) -> list[relaxed.WordWeight]:
    return relaxed.weights_from_term_vectors(
        text, client.termvectors(index=index, body=relaxed.term_vectors_request(text)), head_factor)


def same_weights(got: list[relaxed.WordWeight], expected: list[relaxed.WordWeight]) -> bool:
    """The same terms, heads and noise words, and weights within 1%. Earlier tests in the session
    update the shared vocabulary indices (credential counts on concepts), and until segments merge
    an update moves document frequencies a little between reading the table and asking for term
    vectors; on an index nobody writes to they are equal (bench/relevance.py gives the same figures
    both ways)."""
    return ([(w.term, w.head, w.noise) for w in got] == [(w.term, w.head, w.noise) for w in expected]
            and all(g.weight == pytest.approx(e.weight, rel=0.01) for g, e in zip(got, expected)))


@pytest.mark.parametrize("vocabulary, head_factor", [("occupations", 2.0), ("programs", 1.0)])
def test_weights_from_the_table_equal_weights_from_term_vectors(settings, indices, vocabulary, head_factor):
    client = bulk_client(settings.opensearch_url)
    alias = INDICES[vocabulary].alias(indices)
    word_statistics.forget()  # read now, not whenever an earlier test first asked
    filled = word_statistics.statistics(client, alias, wait=True)
    assert len(filled.words) > 1000 and filled.doc_count > 0
    unfilled = word_statistics.IndexStatistics(filled.index)  # before the table is read: look-ups
    names = real_names(vocabulary, 60) + EDGE_CASES
    for text in names:
        expected = from_term_vectors(client, alias, text, head_factor)
        assert same_weights(word_statistics.word_weights(client, alias, text, head_factor=head_factor), expected), text
        if word_statistics.splits_like_the_index(text):
            assert same_weights(filled.weights(client, text, head_factor), expected), text
            assert same_weights(unfilled.weights(client, text, head_factor), expected), text
    assert sum(bool(w) for w in map(lambda t: from_term_vectors(client, alias, t, head_factor), names)) > 50
    # Words the vocabulary never uses were asked once and are remembered, unknown ones too.
    assert filled.unknown.get("bootcamp") == (relaxed.TermStatistics("bootcamp", 0, 0),)


# --- following the alias through a rebuild ------------------------------------------------------


@pytest.fixture(scope="module")
def tiny():
    """A tiny occupations index of its own under a private prefix (not the session's vocabulary,
    which other tests read), dropped afterwards."""
    client = bulk_client(os.environ.get("OPENSEARCH_URL", "http://127.0.0.1:9200"))
    prefix = f"test-wstats-{uuid.uuid4().hex[:8]}-"
    yield client, prefix
    drop_all(client, prefix)


def load(client, prefix: str, labels: list[str]) -> str:
    actions = [{"_id": f"{i}", "_source": {"code": f"{i}", "label": label, "scheme": "onet"}}
               for i, label in enumerate(labels)]
    return rebuild(client, INDICES["occupations"], prefix, actions).index


def test_statistics_follow_the_alias_to_the_rebuilt_index(tiny, monkeypatch):
    client, prefix = tiny
    alias = INDICES["occupations"].alias(prefix)
    first = load(client, prefix, ["Welders", "Pharmacists", "Hospital Pharmacists", "Registered Nurses"])
    before = word_statistics.statistics(client, alias, wait=True)
    assert (before.index, before.doc_count) == (first, 4)
    weights = word_statistics.word_weights(client, alias, "Hospital Pharmacist")
    assert weights == from_term_vectors(client, alias, "Hospital Pharmacist", 2.0)

    # A rebuild: "pharmacist" is now rarer, "hospital" commoner; the alias moves, the old index goes.
    second = load(client, prefix, ["Welders", "Pharmacists", "Hospital Nurses", "Hospital Cooks",
                                   "Hospital Porters", "Registered Nurses"])
    assert second != first and not client.indices.exists(index=first)
    # Within ALIAS_SECONDS the alias is not asked again, unless a search named the new index ...
    assert word_statistics.statistics(client, alias, hint=second).index == second
    # ... or the time is up.
    monkeypatch.setattr(word_statistics, "ALIAS_SECONDS", 0.0)
    after = word_statistics.statistics(client, alias, wait=True)
    assert (after.index, after.doc_count) == (second, 6)
    moved = word_statistics.word_weights(client, alias, "Hospital Pharmacist")
    assert moved == from_term_vectors(client, alias, "Hospital Pharmacist", 2.0)
    assert moved != weights


def test_a_hint_naming_a_deleted_index_falls_back_to_the_alias(tiny):
    client, prefix = tiny
    alias = INDICES["occupations"].alias(prefix)
    old = load(client, prefix, ["Welders", "Cooks"])
    word_statistics.statistics(client, alias, hint=old, wait=True)
    new = load(client, prefix, ["Welders", "Cooks", "Bakers"])
    # "bakers" is in no table yet: the look-up goes to the deleted index, then to the alias.
    weights = word_statistics.word_weights(client, alias, "Bakers Welders", hint=old)
    assert weights == from_term_vectors(client, new, "Bakers Welders", 2.0)


# --- pure functions -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, same", [
    ("STATIONARY ENGINEER, 2ND CLASS", True),
    ("Heating/Air-Conditioning & Refrigeration (HVAC)", True),
    ("O'Neil's Café - Crème Brûlée", True),
    ("Straße Bjørn", True),
    ("Welding: Level 2", True),
    ("U.S. Army", False),            # "u.s" is one token
    ("AWS D1.1 Structural", False),  # "d1.1"
    ("1,000 hours", False),          # "1,000"
    ("a_b", False),
    ("a:b", False),
    ("看護師", False),                # not Latin: the index cuts it its own way
])
def test_splits_like_the_index(text, same):
    assert word_statistics.splits_like_the_index(text) is same


def test_entries_map_terms_back_to_the_words_they_came_from():
    words = ["nurse", "of", "nursing", "xyzzy"]  # sent as "nurse\nof\nnursing\nxyzzy"
    vectors = {"term_vectors": {
        "words": {"field_statistics": {"doc_count": 10}, "terms": {
            "nurs": {"doc_freq": 3, "tokens": [{"start_offset": 0, "end_offset": 5},
                                               {"start_offset": 9, "end_offset": 16}]},
            "xyzzi": {"doc_freq": 0, "tokens": [{"start_offset": 17, "end_offset": 22}]}}},
        "own_words": {"field_statistics": {"doc_count": 10}, "terms": {"nurs": {"doc_freq": 2}}}}}
    nurs = relaxed.TermStatistics("nurs", 3, 2)
    assert word_statistics._entries(words, vectors) == {
        "nurse": (nurs,), "of": (), "nursing": (nurs,), "xyzzy": (relaxed.TermStatistics("xyzzi", 0, 0),)}


def test_a_failed_read_leaves_look_ups_and_is_tried_again_later(tiny, monkeypatch):
    client, prefix = tiny
    registry = word_statistics._Registry()
    stats = registry.for_index(client, f"{prefix}missing", wait=True)
    assert stats.words == {} and stats.retry_at > 0
    monkeypatch.setattr(stats, "retry_at", 1e-9)  # the time is up: the next request reads again
    assert registry.for_index(client, f"{prefix}missing") is stats
    # Reset when the new read started (0), or already failed again and set a new time.
    assert stats.retry_at == 0.0 or stats.retry_at > 1e-9
