"""The skeleton on real services: health, a real Celery worker, and the OpenSearch modules."""
from __future__ import annotations

import pytest

from store.settings import Settings


def test_healthz_reports_every_service_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200, response.json
    assert response.json["services"] == {"database": "up", "redis": "up", "opensearch": "up"}


@pytest.mark.parametrize("service, override", [
    ("opensearch", {"opensearch_url": "http://127.0.0.1:1"}),
    ("redis", {"redis_url": "redis://127.0.0.1:1/0"}),
])
def test_healthz_names_the_service_that_is_down(settings, database, service, override):
    from webapp import create_app

    broken = Settings(**{**settings.__dict__, **override})
    client = create_app(broken, TESTING=True).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["down"] == [service]


@pytest.mark.timeout(30)  # a probe that ignored its deadline would hang here until this fails it
def test_healthz_answers_when_opensearch_hangs(settings, database):
    """A port that accepts connections but never answers: the probe must time out, not hang."""
    from webapp.health import probe

    import socket

    from webapp import create_app

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    try:
        hung = Settings(**{**settings.__dict__, "opensearch_url": f"http://127.0.0.1:{port}"})
        client = create_app(hung, TESTING=True).test_client()
        response = client.get("/healthz")
        # The OpenSearch check alone waits 1.2 s; "timeout" rather than "down: ..." shows that the
        # probe's own deadline cut it short.
        cut_short = probe(hung, deadline=0.1)
    finally:
        listener.close()
    assert response.status_code == 503
    assert response.json["services"]["opensearch"] in ("timeout",) or response.json["services"]["opensearch"].startswith("down")
    assert cut_short["opensearch"] == "timeout"


def test_a_real_celery_worker_runs_ping(worker):
    from workers.tasks import ping

    result = ping.apply_async().get(timeout=20)
    assert result["pong"] is True


def test_opensearch_has_edge_ngram_and_search_as_you_type(settings):
    """Proves analysis-common and mapper-extras are loaded in the local node."""
    from indexer.client import bulk_client

    client = bulk_client(settings.opensearch_url)
    name = f"{settings.index_prefix}modules-probe"
    client.indices.create(index=name, body={
        "settings": {"analysis": {
            "filter": {"grams": {"type": "edge_ngram", "min_gram": 1, "max_gram": 10}},
            "analyzer": {"prefix": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "grams"]}},
        }},
        "mappings": {"properties": {
            "title": {"type": "text", "analyzer": "prefix", "search_analyzer": "standard"},
            "typeahead": {"type": "search_as_you_type"},
        }},
    })
    try:
        client.index(index=name, id="1", body={"title": "Registered Nurses", "typeahead": "Registered Nurses"},
                     refresh=True)
        by_ngram = client.search(index=name, body={"query": {"match": {"title": "regis"}}})
        by_sayt = client.search(index=name, body={"query": {"multi_match": {
            "query": "registered nu", "type": "bool_prefix",
            "fields": ["typeahead", "typeahead._2gram", "typeahead._3gram"]}}})
        assert by_ngram["hits"]["total"]["value"] == 1
        assert by_sayt["hits"]["total"]["value"] == 1
    finally:
        client.indices.delete(index=name)
