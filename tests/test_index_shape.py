"""Shards and replicas come from the deployment's settings, and clients accept several nodes.

The mapping files hold no shard or replica counts; `CREDENTIALS_SHARDS`, `CREDENTIALS_REPLICAS`,
`VOCABULARY_SHARDS` and `VOCABULARY_REPLICAS` decide them. A rebuild loads with replicas 0 and
ends with the configured count; `catalog index status` shows each alias's shard health (its
line is `cli.index.describe_shards`, tested here on the report `operations.status` gives it).
The failover of a real cluster is in tests/test_cluster_faults.py.
"""
from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import replace

import pytest

from indexer import operations
from indexer.client import bulk_client, web_client
from indexer.lifecycle import drop_all
from indexer.registry import INDICES, IndexShape
from indexer.search import SearchRequest, search
from store.settings import ConfigurationError, Settings
from cli.index import describe_shards


def test_mapping_files_leave_shards_and_replicas_to_the_deployment():
    for spec in INDICES.values():
        raw = json.loads(spec.mapping_path.read_text())["settings"]
        assert "number_of_shards" not in raw and "number_of_replicas" not in raw, spec.mapping_path
        body = spec.body(IndexShape(shards=4, replicas=2))["settings"]
        assert (body["number_of_shards"], body["number_of_replicas"]) == (4, 2)
        assert body["analysis"] == raw["analysis"]


def test_each_index_family_reads_its_own_settings(monkeypatch):
    monkeypatch.setenv("CREDENTIALS_SHARDS", "6")
    monkeypatch.setenv("CREDENTIALS_REPLICAS", "2")
    monkeypatch.setenv("VOCABULARY_REPLICAS", "1")
    monkeypatch.delenv("VOCABULARY_SHARDS", raising=False)
    settings = Settings.from_env()
    assert INDICES["credentials"].shape(settings) == IndexShape(6, 2)
    for name in ("occupations", "sectors", "programs", "skills"):
        assert INDICES[name].shape(settings) == IndexShape(1, 1), name


@pytest.mark.parametrize("name, value", [("CREDENTIALS_SHARDS", "0"), ("VOCABULARY_REPLICAS", "-1"),
                                         ("CREDENTIALS_REPLICAS", "one")])
def test_a_bad_count_is_refused_with_the_setting_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env()


def test_opensearch_url_may_list_several_nodes(monkeypatch):
    monkeypatch.setenv("OPENSEARCH_URL", " http://a:9200, http://b:9200 ,")
    assert Settings.from_env().opensearch_hosts == ["http://a:9200", "http://b:9200"]
    monkeypatch.setenv("OPENSEARCH_URL", " , ")
    with pytest.raises(ConfigurationError, match="OPENSEARCH_URL"):
        Settings.from_env().opensearch_hosts


def test_a_search_moves_to_another_node_when_one_refuses_connections():
    """Port 1 refuses at once, like a killed node; every search still answers, from the live one."""
    live = Settings.from_env().opensearch_url
    client = web_client.__wrapped__(f"http://127.0.0.1:1,{live}", 5.0)
    assert client.transport.max_retries == 1 and client.transport.retry_on_timeout
    for _ in range(6):
        assert client.info()["version"]["number"]
    single = web_client.__wrapped__(live, 1.5).transport
    assert single.max_retries == 0, "one node: nowhere else to go, so no retry within a web request"


@pytest.fixture(scope="module")
def shaped(tmp_path_factory):
    """Its own database and prefix, with the credentials index at 2 shards (the shared node has
    one node, so replicas stay 0 here; tests/test_cluster_faults.py has replicas on 3 nodes)."""
    from bench.generate import generate_credentials
    from catalog.taxonomy import import_bundled
    from store.db import session_scope
    from store.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('shape') / 'catalog.db'}"
    upgrade(url)
    with session_scope(url) as session:
        import_bundled(session, ["soc-2018", "onet-soc", "naics-2022", "cip-2020"])
    generate_credentials(url, 40, seed=3)
    settings = Settings.from_env(database_url=url, index_prefix=f"shape-{uuid.uuid4().hex[:6]}-",
                                 secret_key=secrets.token_hex(32), credentials_shards=2, credentials_replicas=0)
    yield settings
    drop_all(bulk_client(settings.opensearch_url), settings.index_prefix)


def test_a_rebuild_gives_the_index_its_configured_shape_and_status_shows_it(shaped):
    operations.reindex(shaped, "credentials")
    client = bulk_client(shaped.opensearch_url)
    alias = INDICES["credentials"].alias(shaped.index_prefix)
    index = next(iter(client.indices.get_alias(name=alias)))
    values = client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert (values["number_of_shards"], values["number_of_replicas"], values["refresh_interval"]) == ("2", "0", "1s")
    assert search(client, shaped.index_prefix, SearchRequest()).total == 40

    health = operations.status(shaped)["indices"]["credentials"]["health"]
    assert health == {"status": "green", "shards": 2, "replicas": 0, "configured_replicas": 0,
                      "active_primaries": 2, "active": 2, "copies": 2, "relocating": 0, "initializing": 0,
                      "unassigned": 0}
    # One replica on one node cannot be placed: init applies it, status says why health is yellow.
    with_replica = replace(shaped, credentials_replicas=1)
    operations.init_indices(with_replica)
    health = operations.status(with_replica)["indices"]["credentials"]["health"]
    assert describe_shards(health) == "yellow: 2 shard(s) x 2 copies, 2/4 active (2 unassigned)"
    assert describe_shards({**health, "configured_replicas": 2}).endswith(
        "configured replicas 2: `catalog index init` applies them")
