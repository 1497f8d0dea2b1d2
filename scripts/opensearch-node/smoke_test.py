#!/usr/bin/env python3
"""Feature smoke test for the local OpenSearch node (scripts/opensearch-local).

Standard library only. Exercises the features the Credential Catalog relies on:
custom analyzers (edge_ngram tokenizer + filter, asciifolding, english stemmer),
search_as_you_type, keyword, bulk, match, multi_match bool_prefix, fuzzy, terms
aggregations, post_filter, highlight, alias swap, external_gte versioning, _analyze,
term + phrase suggesters, plus painless, reindex and rank_feature.

Usage: python3 scripts/opensearch-node/smoke_test.py [base_url]
       (default base_url: http://127.0.0.1:$OPENSEARCH_PORT or :9200)
Prints one line per check and 'N passed, N failed'; exits 1 if any check failed.
"""
import json
import os
import sys
import urllib.error
import urllib.request

BASE = (sys.argv[1] if len(sys.argv) > 1
        else "http://127.0.0.1:%s" % os.environ.get("OPENSEARCH_PORT", "9200")).rstrip("/")
PREFIX = "cc-smoke"
IDX1, IDX2, ALIAS = PREFIX + "-v1", PREFIX + "-v2", PREFIX + "-current"


def call(method, path, body=None, ndjson=False, ok=(200, 201)):
    data = None
    headers = {}
    if body is not None:
        if ndjson:
            data = ("\n".join(json.dumps(line) for line in body) + "\n").encode()
            headers["Content-Type"] = "application/x-ndjson"
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    parsed = json.loads(raw) if raw else {}
    if ok and status not in ok:
        raise AssertionError("%s %s -> HTTP %s: %s" % (method, path, status, raw[:500]))
    return status, parsed


results = []


def check(name):
    def deco(fn):
        try:
            fn()
            results.append((name, None))
            print("PASS  %s" % name)
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            results.append((name, e))
            print("FAIL  %s: %s" % (name, e))
        return fn
    return deco


def ids(resp):
    return [h["_id"] for h in resp["hits"]["hits"]]


def tokens(resp):
    return [t["token"] for t in resp["tokens"]]


INDEX_BODY = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {
            "tokenizer": {
                "cc_edge_tokenizer": {"type": "edge_ngram", "min_gram": 2, "max_gram": 15,
                                      "token_chars": ["letter", "digit"]},
            },
            "filter": {
                "cc_edge_filter": {"type": "edge_ngram", "min_gram": 2, "max_gram": 15},
                "cc_english_stemmer": {"type": "stemmer", "language": "english"},
                "cc_shingle": {"type": "shingle", "min_shingle_size": 2, "max_shingle_size": 3},
            },
            "analyzer": {
                "cc_folding": {"type": "custom", "tokenizer": "standard",
                               "filter": ["lowercase", "asciifolding"]},
                "cc_autocomplete": {"type": "custom", "tokenizer": "standard",
                                    "filter": ["lowercase", "asciifolding", "cc_edge_filter"]},
                "cc_autocomplete_tok": {"type": "custom", "tokenizer": "cc_edge_tokenizer",
                                        "filter": ["lowercase", "asciifolding"]},
                "cc_stemmed": {"type": "custom", "tokenizer": "standard",
                               "filter": ["lowercase", "asciifolding", "cc_english_stemmer"]},
                "cc_trigram": {"type": "custom", "tokenizer": "standard",
                               "filter": ["lowercase", "cc_shingle"]},
            },
        },
    },
    "mappings": {
        "properties": {
            "name": {"type": "text", "analyzer": "cc_folding",
                     "fields": {"keyword": {"type": "keyword"},
                                "auto": {"type": "text", "analyzer": "cc_autocomplete",
                                         "search_analyzer": "cc_folding"},
                                "trigram": {"type": "text", "analyzer": "cc_trigram"}}},
            "title": {"type": "search_as_you_type", "analyzer": "cc_folding"},
            "issuer": {"type": "keyword"},
            "category": {"type": "keyword"},
            "description": {"type": "text", "analyzer": "english"},
            "summary": {"type": "text", "analyzer": "cc_stemmed"},
            "popularity": {"type": "rank_feature"},
        }
    },
}

DOCS = [
    {"id": "1", "name": "Certified Kubernetes Administrator", "title": "Certified Kubernetes Administrator",
     "issuer": "CNCF", "category": "cloud", "description": "Validates skills running Kubernetes clusters",
     "summary": "administering clusters", "popularity": 9.0},
    {"id": "2", "name": "AWS Certified Solutions Architect", "title": "AWS Certified Solutions Architect",
     "issuer": "Amazon", "category": "cloud", "description": "Designing distributed systems on AWS",
     "summary": "architecting solutions", "popularity": 10.0},
    {"id": "3", "name": "Zürich Café Barista Diploma", "title": "Zürich Café Barista Diploma",
     "issuer": "Café Institute", "category": "hospitality", "description": "Coffee brewing certifications",
     "summary": "brewing coffees", "popularity": 1.0},
    {"id": "4", "name": "Certified Information Systems Security Professional",
     "title": "Certified Information Systems Security Professional",
     "issuer": "ISC2", "category": "security", "description": "Security management and engineering",
     "summary": "securing systems", "popularity": 8.0},
    {"id": "5", "name": "Kubernetes Security Specialist", "title": "Kubernetes Security Specialist",
     "issuer": "CNCF", "category": "security", "description": "Securing container platforms",
     "summary": "hardened containers", "popularity": 7.0},
]


def setup():
    for idx in (IDX1, IDX2):
        call("DELETE", "/" + idx, ok=(200, 404))
    call("PUT", "/" + IDX1, INDEX_BODY)
    call("PUT", "/" + IDX2, INDEX_BODY)
    lines = []
    for d in DOCS:
        d = dict(d)
        lines.append({"index": {"_index": IDX1, "_id": d.pop("id")}})
        lines.append(d)
    _, r = call("POST", "/_bulk?refresh=true", lines, ndjson=True)
    assert not r["errors"], r
    call("POST", "/_aliases", {"actions": [{"add": {"index": IDX1, "alias": ALIAS}}]})


@check("node answers GET / (version 2.19.x)")
def _():
    _, r = call("GET", "/")
    assert r["version"]["number"].startswith("2.19."), r["version"]
    _, h = call("GET", "/_cluster/health")
    assert h["status"] in ("green", "yellow"), h


@check("create index: edge_ngram tokenizer+filter, asciifolding, search_as_you_type, keyword, english; bulk")
def _():
    setup()
    _, c = call("GET", "/%s/_count" % IDX1)
    assert c["count"] == len(DOCS), c


@check("match (with asciifolding: 'zurich cafe' finds 'Zürich Café')")
def _():
    _, r = call("POST", "/%s/_search" % ALIAS, {"query": {"match": {"name": "zurich cafe"}}})
    assert ids(r)[:1] == ["3"], ids(r)


@check("multi_match bool_prefix over search_as_you_type subfields")
def _():
    body = {"query": {"multi_match": {"query": "kubernetes adm", "type": "bool_prefix",
                                      "fields": ["title", "title._2gram", "title._3gram"]}}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    assert ids(r)[:1] == ["1"], ids(r)


@check("edge_ngram autocomplete subfield match ('kube')")
def _():
    _, r = call("POST", "/%s/_search" % ALIAS, {"query": {"match": {"name.auto": "kube"}}})
    assert set(ids(r)) == {"1", "5"}, ids(r)


@check("fuzzy query ('kubernetis')")
def _():
    body = {"query": {"fuzzy": {"name": {"value": "kubernetis", "fuzziness": "AUTO"}}}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    assert set(ids(r)) == {"1", "5"}, ids(r)
    body = {"query": {"match": {"name": {"query": "certifed architekt", "fuzziness": "AUTO",
                                          "operator": "and"}}}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    assert ids(r) == ["2"], ids(r)


@check("terms aggregation + post_filter")
def _():
    body = {"query": {"match_all": {}},
            "aggs": {"by_category": {"terms": {"field": "category"}},
                     "by_issuer": {"terms": {"field": "issuer", "size": 10}}},
            "post_filter": {"term": {"category": "security"}}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    buckets = {b["key"]: b["doc_count"] for b in r["aggregations"]["by_category"]["buckets"]}
    assert buckets == {"cloud": 2, "security": 2, "hospitality": 1}, buckets
    assert set(ids(r)) == {"4", "5"}, ids(r)


@check("highlight")
def _():
    body = {"query": {"match": {"name": "security"}},
            "highlight": {"fields": {"name": {}}, "pre_tags": ["<mark>"], "post_tags": ["</mark>"]}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    hl = [h["highlight"]["name"][0] for h in r["hits"]["hits"]]
    assert hl and all("<mark>Security</mark>" in s for s in hl), hl


@check("_aliases atomic swap")
def _():
    call("POST", "/_aliases", {"actions": [
        {"remove": {"index": IDX1, "alias": ALIAS}},
        {"add": {"index": IDX2, "alias": ALIAS}},
    ]})
    _, r = call("GET", "/_alias/%s" % ALIAS)
    assert list(r) == [IDX2], r
    call("POST", "/_aliases", {"actions": [
        {"remove": {"index": IDX2, "alias": ALIAS}},
        {"add": {"index": IDX1, "alias": ALIAS}},
    ]})
    _, r = call("GET", "/_alias/%s" % ALIAS)
    assert list(r) == [IDX1], r


@check("version_type=external_gte (equal ok, lower -> 409)")
def _():
    doc = {"name": "Versioned", "category": "misc"}
    s, r = call("PUT", "/%s/_doc/v1?version=5&version_type=external_gte" % IDX2, doc)
    assert r["_version"] == 5, r
    s, r = call("PUT", "/%s/_doc/v1?version=5&version_type=external_gte" % IDX2, doc)
    assert s == 200 and r["_version"] == 5, (s, r)
    s, r = call("PUT", "/%s/_doc/v1?version=4&version_type=external_gte" % IDX2, doc, ok=None)
    assert s == 409, (s, r)
    s, r = call("PUT", "/%s/_doc/v1?version=7&version_type=external_gte" % IDX2, doc)
    assert r["_version"] == 7, r


@check("_analyze with edge_ngram tokenizer (inline and index analyzer)")
def _():
    _, r = call("POST", "/_analyze", {"tokenizer": {"type": "edge_ngram", "min_gram": 2, "max_gram": 4},
                                      "text": "Kube"})
    assert tokens(r) == ["Ku", "Kub", "Kube"], tokens(r)
    _, r = call("POST", "/%s/_analyze" % IDX1, {"analyzer": "cc_autocomplete", "text": "Zürich"})
    assert tokens(r)[:3] == ["zu", "zur", "zuri"], tokens(r)
    _, r = call("POST", "/%s/_analyze" % IDX1, {"analyzer": "cc_autocomplete_tok", "text": "AWS-Cert"})
    assert "aws" in tokens(r) and "ce" in tokens(r), tokens(r)


@check("english analyzer / stemmer filter")
def _():
    _, r = call("POST", "/_analyze", {"analyzer": "english", "text": "Running certifications"})
    assert tokens(r) == ["run", "certif"], tokens(r)
    _, r = call("POST", "/%s/_analyze" % IDX1, {"analyzer": "cc_stemmed", "text": "securing systems"})
    assert tokens(r) == ["secur", "system"], tokens(r)
    _, r = call("POST", "/%s/_search" % ALIAS, {"query": {"match": {"description": "certification"}}})
    assert ids(r) == ["3"], ids(r)


@check("term suggester (did you mean)")
def _():
    body = {"size": 0, "suggest": {"s": {"text": "kubernetis secrity",
                                         "term": {"field": "name", "suggest_mode": "missing"}}}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    opts = [[o["text"] for o in e["options"]] for e in r["suggest"]["s"]]
    assert "kubernetes" in opts[0] and "security" in opts[1], opts


@check("phrase suggester (did you mean)")
def _():
    body = {"size": 0, "suggest": {"text": "kubernetis secrity specialist", "p": {
        "phrase": {"field": "name.trigram", "size": 1, "gram_size": 3,
                   "direct_generator": [{"field": "name.trigram", "suggest_mode": "always"}],
                   "highlight": {"pre_tag": "<em>", "post_tag": "</em>"}}}}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    opts = [o["text"] for o in r["suggest"]["p"][0]["options"]]
    assert opts and opts[0] == "kubernetes security specialist", opts


@check("painless script_score + rank_feature + update_by_query (lang-painless, mapper-extras)")
def _():
    body = {"query": {"script_score": {"query": {"match": {"category": "cloud"}},
                                       "script": {"source": "doc['issuer'].value.length()"}}}}
    _, r = call("POST", "/%s/_search" % ALIAS, body)
    assert ids(r)[0] == "2", ids(r)
    _, r = call("POST", "/%s/_search" % ALIAS, {"query": {"rank_feature": {"field": "popularity"}}})
    assert ids(r)[0] == "2", ids(r)
    _, r = call("POST", "/%s/_update_by_query?refresh=true" % IDX1,
                {"query": {"term": {"issuer": "CNCF"}},
                 "script": {"source": "ctx._source.category = ctx._source.category + '-x'"}})
    assert r["updated"] == 2, r


@check("_reindex (reindex module)")
def _():
    _, r = call("POST", "/_reindex?refresh=true", {"source": {"index": IDX1}, "dest": {"index": IDX2}})
    assert r["created"] + r["updated"] == len(DOCS), r


def main():
    try:
        for idx in (IDX1, IDX2):
            call("DELETE", "/" + idx, ok=(200, 404))
    except Exception:  # noqa: BLE001
        pass
    failed = [n for n, e in results if e]
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
