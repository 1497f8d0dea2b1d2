"""Zero-downtime rebuilds: searches keep working during a full reindex, failures change nothing."""
from __future__ import annotations

import threading
import time

import pytest

from indexer import operations
from indexer.client import bulk_client, web_client
from indexer.lifecycle import aliased_indices, rebuild
from indexer.registry import INDICES
from tests.support.factories import edit, make_credential, make_org_and_editor, wait_for

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def catalog(settings, database, indices):
    """A few thousand published credentials in the index."""
    from bench.generate import generate_credentials

    generate_credentials(settings.database_url, 3000, seed=11)
    operations.reindex(settings, "credentials")
    return settings


def test_searches_never_fail_or_go_empty_during_a_full_reindex(catalog, worker):
    settings = catalog
    alias = INDICES["credentials"].alias(settings.index_prefix)
    client = web_client(settings.opensearch_url, timeout=5)
    before = aliased_indices(bulk_client(settings.opensearch_url), alias)
    problems, totals = [], []
    stop = threading.Event()

    def search_loop():
        while not stop.is_set():
            try:
                hits = client.search(index=alias, body={"query": {"match": {"name": "nurses"}}, "size": 1})
                totals.append(hits["hits"]["total"]["value"])
                if hits["hits"]["total"]["value"] == 0:
                    problems.append("empty result")
            except Exception as exc:  # noqa: BLE001 - every failure is a finding
                problems.append(repr(exc))

    threads = [threading.Thread(target=search_loop) for _ in range(3)]
    for t in threads:
        t.start()
    org_id, _ = make_org_and_editor(settings.database_url)
    during = {}

    def edits_during_reindex():
        # The relay keeps writing to the live index; the rebuild's catch-up must carry these over.
        time.sleep(0.5)
        cid = make_credential(settings.database_url, org_id, name="Published during the reindex")
        during["published"] = cid
        during["revision"] = edit(settings.database_url, cid, name="Edited during the reindex")

    editor = threading.Thread(target=edits_during_reindex)
    editor.start()
    try:
        counts = operations.reindex(settings, "credentials")
    finally:
        editor.join()
        stop.set()
        for t in threads:
            t.join()
    assert counts["credentials"] >= 3000
    assert problems == []
    assert len(totals) > 10
    after = aliased_indices(bulk_client(settings.opensearch_url), alias)
    assert after != before and len(after) == 1
    wait_for(lambda: not operations.verify(settings), timeout=30, message="zero drift after the reindex")


def test_a_failed_rebuild_deletes_the_new_index_and_keeps_the_old(catalog):
    settings = catalog
    client = bulk_client(settings.opensearch_url)
    spec = INDICES["credentials"]
    alias = spec.alias(settings.index_prefix)
    before = aliased_indices(client, alias)

    def actions():
        yield {"_id": "ok", "_source": {"id": "ok", "name": "fine"}}
        raise RuntimeError("database went away mid-stream")

    with pytest.raises(RuntimeError, match="went away"):
        rebuild(client, spec, settings.index_prefix, actions())
    assert aliased_indices(client, alias) == before
    leftovers = [name for name in client.indices.get(index=f"{spec.physical_prefix(settings.index_prefix)}*")
                 if name not in before]
    assert leftovers == []


def test_a_rejected_document_fails_the_rebuild_without_touching_the_alias(catalog):
    settings = catalog
    client = bulk_client(settings.opensearch_url)
    spec = INDICES["credentials"]
    before = aliased_indices(client, spec.alias(settings.index_prefix))
    bad = [{"_id": "x", "_source": {"id": "x", "field_not_in_the_mapping": 1}}]
    with pytest.raises(RuntimeError, match="failed to index"):
        rebuild(client, spec, settings.index_prefix, iter(bad))
    assert aliased_indices(client, spec.alias(settings.index_prefix)) == before


def test_two_reindexes_cannot_run_at_once(catalog, worker):
    from indexer.rebuild_lock import rebuild_lock
    from workers.tasks import reindex

    with rebuild_lock(catalog, "reindex all", task="test-holder"):
        outcome = reindex.apply_async(args=["sectors"]).get(timeout=30)
    assert outcome["skipped"].startswith("the rebuild lock is held by ")
    assert "(task test-holder, reindex all since " in outcome["skipped"]
