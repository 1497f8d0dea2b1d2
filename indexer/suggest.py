"""Suggestion queries: what the crosswalks say goes with the codes an editor already chose.

  skills_for_occupations   skills documents carry `suggest_weights` (rank_features, one feature per
                           O*NET occupation, see store.skill_sources); a skill scores the sum of its
                           weights for the chosen occupations, so one shared by several ranks higher.
  occupations_for_programs occupation documents carry `cips` (the CIP programmes whose SOC code is
                           theirs); an occupation scores one per chosen programme that leads to it.
  programs_for_occupations programme documents carry `socs`, read the other way.

The builders are pure; `run_suggestions` sends one and returns the hits with their scores.
Codes reach OpenSearch only as field-name suffixes and term values after catalog.suggest checked
them against the scheme, never as query syntax.
"""
from __future__ import annotations

from typing import Iterable

from opensearchpy import OpenSearch

from indexer.documents import feature_key
from indexer.registry import INDICES

MAX_SIZE = 50
MAX_EXCLUDE = 200


def _excluding(query: dict, exclude: Iterable[str]) -> dict:
    exclude = [e for e in exclude if e][:MAX_EXCLUDE]
    return {"bool": {"must": [query], "must_not": [{"ids": {"values": exclude}}]}} if exclude else query


def skills_for_occupations(occupations: list[str], size: int, exclude: Iterable[str] = ()) -> dict:
    keys = [feature_key(code) for code in occupations]
    query = {"bool": {"should": [{"rank_feature": {"field": f"suggest_weights.{key}", "linear": {}}} for key in keys],
                      "minimum_should_match": 1}}
    return {
        "size": size,
        "_source": ["code", "label", "kind", "scheme", *[f"suggest_why.{key}" for key in keys]],
        "query": _excluding(query, exclude),
        "sort": [{"_score": "desc"}, {"kind_rank": "asc"}, {"label_length": "asc"}, {"code": "asc"}],
        "track_scores": True,
    }


def _shared_terms(field: str, values: list[str], size: int, source: list[str], exclude: Iterable[str]) -> dict:
    query = {"bool": {"should": [{"constant_score": {"filter": {"term": {field: value}}, "boost": 1}}
                                 for value in values], "minimum_should_match": 1}}
    return {"size": size, "_source": source, "query": _excluding(query, exclude), "track_scores": True,
            "sort": [{"_score": "desc"}, {"credential_count": "desc"}, {"code": "asc"}]}


def occupations_for_programs(cips: list[str], size: int, exclude: Iterable[str] = ()) -> dict:
    return _shared_terms("cips", cips, size, ["code", "label", "scheme", "cips"], exclude)


def programs_for_occupations(socs: list[str], size: int, exclude: Iterable[str] = ()) -> dict:
    return _shared_terms("socs", socs, size, ["code", "label", "scheme", "socs"], exclude)


def run_suggestions(client: OpenSearch, index_prefix: str, vocabulary: str, body: dict,
                    timeout: float | None = None) -> list[dict]:
    """The hits, best first. Raises opensearchpy's errors: the caller says what a person sees."""
    params = {"request_timeout": timeout} if timeout else {}
    resp = client.search(index=INDICES[vocabulary].alias(index_prefix), body=body, **params)
    return resp["hits"]["hits"]
