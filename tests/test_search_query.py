"""Unit tests of the pure search functions: reading a query string, building the body, reading answers."""
from __future__ import annotations

import json

import pytest

from indexer.facets import FACETS, MAX_QUERY_CHARS, MAX_QUERY_WORDS, MAX_SIZE, TEXT_FIELDS
from indexer.search import (
    BadSearchRequest,
    SearchRequest,
    apply_fallbacks,
    build_fallback_queries,
    build_search_query,
    clean_text,
    parse_search_args,
    parse_search_response,
)


def args(**values) -> dict:
    return {k: v if isinstance(v, list) else [v] for k, v in values.items()}


def keys_in(tree) -> set[str]:
    found = set()
    if isinstance(tree, dict):
        for key, value in tree.items():
            found.add(key)
            found |= keys_in(value)
    elif isinstance(tree, list):
        for item in tree:
            found |= keys_in(item)
    return found


NASTY = ['"unbalanced', "(((", "a AND (b OR", "title:nurse", "/regex.*/", "nurse~2", "a^10", "\\", "*", "-",
         "| | |", "NOT", "{!lucene}", "<script>alert(1)</script>", "nurse\x00\x1b[31m", "🙂🙂", "‮rtl", "x" * 256]


# --- reading a query string --------------------------------------------------------------------


def test_defaults_and_unknown_parameters_ignored():
    req = parse_search_args(args(utm_source="mail", foo="bar"))
    assert req == SearchRequest()


def test_repeated_facet_parameters_select_several_values_once_each():
    req = parse_search_args(args(occupation=["29-1141.00", " 29-2061.00 ", "29-1141.00", ""], skill="2.A.1.a"))
    assert req.filters == {"occupation": ("29-1141.00", "29-2061.00"), "skill": ("2.A.1.a",)}


@pytest.mark.parametrize("params, param, fragment", [
    (args(page="abc"), "page", "whole number"),
    (args(page="1.5"), "page", "whole number"),
    (args(page="-1"), "page", "whole number"),
    (args(page="0"), "page", "(1 or more)"),
    (args(page="9" * 5000), "page", "10,000"),
    (args(size="9" * 30), "size", "from 1 to 100"),
    (args(size="0"), "size", "from 1 to 100"),
    (args(size="101"), "size", "from 1 to 100"),
    (args(size="ten"), "size", "whole number"),
    (args(page="501", size="20"), "page", "10,000"),
    (args(page="101", size="100"), "page", "10,000"),
    (args(sort="price"), "sort", "relevance, name, newest"),
    (args(sort=""), "sort", "relevance, name, newest"),
    (args(page=""), "page", "whole number"),
    (args(size=" "), "size", "whole number"),
    (args(q="n" * (MAX_QUERY_CHARS + 1)), "q", "at most 256"),
    (args(occupation="x" * 101), "occupation", "at most 100"),
    (args(skill=[str(i) for i in range(51)]), "skill", "at most 50"),
])
def test_bad_parameters_are_refused_with_a_message(params, param, fragment):
    with pytest.raises(BadSearchRequest) as caught:
        parse_search_args(params)
    assert caught.value.param == param
    assert fragment in caught.value.message


def test_the_last_reachable_page_is_allowed():
    assert parse_search_args(args(page="500", size="20")).offset == 9980
    assert parse_search_args(args(size=str(MAX_SIZE))).size == MAX_SIZE


def test_text_is_cleaned_and_capped_in_words():
    assert clean_text("  nurse\x00\t\u200b aide\x1b 🙂 ") == "nurse aide"
    req = parse_search_args(args(q=" ".join(f"w{i}" for i in range(50))))
    assert len(req.q.split()) == MAX_QUERY_WORDS


# --- building the body -------------------------------------------------------------------------


def test_no_query_string_for_any_text():
    for text in NASTY + ["nurse", "29-1141", ""]:
        req = parse_search_args(args(q=text, occupation="29-1141.00"))
        bodies = [build_search_query(req), *build_fallback_queries(req).values()]
        for body in bodies:
            assert "query_string" not in keys_in(body)
            json.dumps(body)  # serialisable, whatever the text


def test_empty_text_matches_everything_alphabetically_without_highlight():
    body = build_search_query(SearchRequest())
    assert body["query"] == {"match_all": {}}
    assert "highlight" not in body and "post_filter" not in body
    assert body["sort"][0] == {"name.sort": "asc"}


def test_text_must_match_every_word_across_the_declared_fields():
    body = build_search_query(SearchRequest(q="registered nurse"))
    sqs = body["query"]["bool"]["must"][0]["simple_query_string"]
    assert sqs["default_operator"] == "and"
    assert {f.split("^")[0] for f in sqs["fields"]} == set(TEXT_FIELDS)
    assert body["highlight"]["encoder"] == "html"
    assert set(body["highlight"]["fields"]) == {"name", "description"}
    assert body["sort"][0] == "_score"


def test_codes_match_the_normalized_codes_field():
    query = build_search_query(SearchRequest(q="29-1141.00"))["query"]
    should = query["bool"]["should"]
    assert {"term": {"codes": {"value": "29114100", "boost": 20.0}}} in should
    assert any("prefix" in clause and clause["prefix"]["codes"]["value"] == "29114100" for clause in should)
    assert query["bool"]["minimum_should_match"] == 1
    assert {"term": {"sector_roots": {"value": "29-1141.00", "boost": 20.0}}} in should
    assert "bool" in should[-1]  # the words still count, for codes that are also words


def test_post_filter_ands_facets_and_ors_values():
    req = SearchRequest(filters={"occupation": ("29-1141.00", "29-2061.00"), "skill": ("2.A.1.a",)})
    body = build_search_query(req)
    assert body["post_filter"] == {"bool": {"filter": [
        {"terms": {"occupation_codes": ["29-1141.00", "29-2061.00"]}},
        {"terms": {"skill_codes": ["2.A.1.a"]}},
    ]}}
    # Filters narrow hits only; the query itself is untouched so aggregations see everything.
    assert body["query"] == {"match_all": {}}


def test_each_facet_counts_under_every_other_facets_selection_but_not_its_own():
    req = SearchRequest(filters={"occupation": ("29-1141.00",), "skill": ("2.A.1.a",), "type": ("license",)})
    aggs = build_search_query(req)["aggs"]
    assert set(aggs) == set(FACETS)
    occupation_filter = aggs["occupation"]["filter"]["bool"]["filter"]
    assert {"terms": {"occupation_codes": ["29-1141.00"]}} not in occupation_filter
    assert {"terms": {"skill_codes": ["2.A.1.a"]}} in occupation_filter
    assert {"terms": {"type": ["license"]}} in occupation_filter
    assert len(aggs["sector"]["filter"]["bool"]["filter"]) == 3
    # Selected values always come back, with their counts, even outside the top values.
    assert aggs["occupation"]["aggs"]["selected"]["terms"]["include"] == ["29-1141.00"]
    assert "selected" not in aggs["sector"]["aggs"]
    assert aggs["sector"]["aggs"]["values"]["terms"]["field"] == "sector_codes"


def test_paging_and_sorts():
    body = build_search_query(SearchRequest(q="x", page=3, size=10, sort="newest"))
    assert (body["from"], body["size"]) == (20, 10)
    assert body["sort"][0] == {"published_at": {"order": "desc", "missing": "_last"}}
    assert body["sort"][-1] == {"id": "asc"}


def test_fallbacks_ask_for_spelling_and_nearest_matches_under_the_same_filters():
    req = SearchRequest(q="weldng", filters={"type": ("certificate",)})
    fallbacks = build_fallback_queries(req)
    assert set(fallbacks) == {"any_words", "spelling"}
    assert fallbacks["any_words"]["post_filter"] == {"bool": {"filter": [{"terms": {"type": ["certificate"]}}]}}
    assert fallbacks["spelling"]["suggest"]["did_you_mean"]["phrase"]["field"] == "spelling.shingles"
    assert set(build_fallback_queries(SearchRequest(q="29-1141"))) == {"any_words"}
    assert build_fallback_queries(SearchRequest(filters={"type": ("badge",)})) == {}


# --- reading answers ---------------------------------------------------------------------------


def _agg(doc_count, buckets, selected=None):
    agg = {"doc_count": doc_count, "values": {"buckets": [{"key": k, "doc_count": n} for k, n in buckets]}}
    if selected is not None:
        agg["selected"] = {"buckets": [{"key": k, "doc_count": n} for k, n in selected]}
    return agg


def test_selected_values_outside_the_top_ones_still_appear():
    req = SearchRequest(filters={"occupation": ("29-1141.00", "99-9999.00")})
    resp = {"took": 3, "hits": {"total": {"value": 2}, "hits": [
        {"_id": "7", "_source": {"id": "7", "name": "RN License", "type": "license", "issuer": {"id": "3", "name": "Board"},
                                 "description": "d " * 200, "display": {"occupations": [{"code": "29-1141.00", "label": "RN"}]}},
         "highlight": {"name": ["<mark>RN</mark> License"]}},
    ]}, "aggregations": {
        "occupation": _agg(9, [("29-2061.00", 5), ("29-1141.00", 2)], [("29-1141.00", 2), ("99-9999.00", 0)]),
        "skill": _agg(2, [("2.A.1.a", 2)]),
    }}
    result = parse_search_response(resp, req)
    values = {v.value: (v.count, v.selected) for v in result.facets["occupation"].values}
    assert values == {"29-2061.00": (5, False), "29-1141.00": (2, True), "99-9999.00": (0, True)}
    assert result.facets["occupation"].total_without == 9
    hit = result.hits[0]
    assert (hit["id"], hit["issuer"], hit["type_label"]) == (7, {"id": 3, "name": "Board"}, "License")
    assert hit["highlight"] == {"name": "<mark>RN</mark> License"}
    assert len(hit["summary"]) <= 241 and hit["summary"].endswith("…")


def test_zero_results_offer_spelling_nearest_matches_and_filters_to_drop():
    req = SearchRequest(q="weldng", filters={"type": ("badge",)})
    resp = {"hits": {"total": {"value": 0}, "hits": []},
            "aggregations": {"type": _agg(4, [("certificate", 4)], [("badge", 0)])}}
    result = parse_search_response(resp, req)
    apply_fallbacks(result, {
        "spelling": {"suggest": {"did_you_mean": [{"options": [{"text": "welding", "collate_match": True}]}]}},
        "any_words": {"hits": {"total": {"value": 1}, "hits": [{"_id": "2", "_source": {"id": "2", "name": "Welding"}}]}},
    })
    assert result.did_you_mean == "welding"
    reasons = [s["reason"] for s in result.suggestions]
    assert reasons == ["spelling", "any_words", "remove_filter"]
    assert result.suggestions[2] == {"reason": "remove_filter", "facet": "type", "values": ["badge"], "total": 4}
