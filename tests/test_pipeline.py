"""Publish → outbox → real Celery worker → OpenSearch, on the real database of this run."""
from __future__ import annotations

import pytest
from opensearchpy import NotFoundError

from indexer import operations
from indexer.client import bulk_client
from indexer.registry import INDICES
from store.db import session_scope
from store.models import Credential, OutboxEvent
from tests.support.factories import edit, make_credential, make_org_and_editor, set_status, wait_for
from workers.app import queue_names

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def org_id(database):
    return make_org_and_editor(database)[0]


def _doc(settings, credential_id):
    client = bulk_client(settings.opensearch_url)
    try:
        return client.get(index=INDICES["credentials"].alias(settings.index_prefix), id=str(credential_id))
    except NotFoundError:
        return None


def test_publish_makes_a_credential_searchable(settings, worker, org_id):
    cid = make_credential(settings.database_url, org_id, name="Phlebotomy Technician Certificate",
                          occupations=["31-9097.00"])
    doc = wait_for(lambda: _doc(settings, cid), message="the credential in the index")
    source = doc["_source"]
    assert source["name"] == "Phlebotomy Technician Certificate"
    assert source["occupation_codes"] == ["31-9097.00"]
    assert source["soc_groups"] == ["31-0000"]
    assert source["sector_roots"] == ["62"]
    with session_scope(settings.database_url, write=False) as s:
        assert doc["_version"] == s.get(Credential, cid).index_version
    client = bulk_client(settings.opensearch_url)
    alias = INDICES["credentials"].alias(settings.index_prefix)

    def found():
        client.indices.refresh(index=alias)
        hits = client.search(index=alias, body={"query": {"match": {"name": "phlebotomy"}}})["hits"]["hits"]
        return [h["_id"] for h in hits]

    assert str(cid) in wait_for(found, message="a search hit")


def test_edit_shows_the_latest_revision(settings, worker, org_id):
    cid = make_credential(settings.database_url, org_id, name="Welding Certificate")
    wait_for(lambda: _doc(settings, cid))
    revision = edit(settings.database_url, cid, name="Structural Welding Certificate")
    doc = wait_for(lambda: (d := _doc(settings, cid)) and d["_source"]["revision"] == revision and d,
                   message="the new revision")
    assert doc["_source"]["name"] == "Structural Welding Certificate"


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublish_or_archive_removes_it(settings, worker, org_id, status):
    cid = make_credential(settings.database_url, org_id, name=f"Temporary {status}")
    wait_for(lambda: _doc(settings, cid))
    set_status(settings.database_url, cid, status)
    wait_for(lambda: _doc(settings, cid) is None, message="the document to be deleted")


def test_drafts_never_reach_the_index(settings, worker, org_id):
    cid = make_credential(settings.database_url, org_id, publish=False, name="Secret draft")
    published = make_credential(settings.database_url, org_id, name="Published sibling")
    wait_for(lambda: _doc(settings, published))
    assert _doc(settings, cid) is None


def test_notes_never_enter_the_index(settings, worker, org_id):
    from catalog.authoring import service

    cid = make_credential(settings.database_url, org_id, name="Credential with a private note")
    with session_scope(settings.database_url) as s:
        service.add_note(s, None, s.get(Credential, cid), "INTERNAL-ONLY reviewer remark")
    revision = edit(settings.database_url, cid, description="Updated after the note.")
    doc = wait_for(lambda: (d := _doc(settings, cid)) and d["_source"]["revision"] == revision and d)
    assert "INTERNAL-ONLY" not in str(doc["_source"])


def _pending(settings) -> int:
    """Events due now (failed ones waiting out a backoff are not)."""
    from store.models import utcnow

    with session_scope(settings.database_url, write=False) as s:
        return s.query(OutboxEvent).filter(OutboxEvent.state == "pending", OutboxEvent.available_at <= utcnow()).count()


def test_a_lost_celery_message_delays_but_never_loses_an_update(settings, worker, org_id):
    """The commit's nudge is lost (never sent): the event waits in the outbox, and the next relay
    run, here the one beat would send, indexes it."""
    import redis

    from workers.tasks import relay_outbox

    queue = redis.Redis.from_url(settings.redis_url)
    tasks = queue_names(settings.index_prefix)["relay"]
    # Earlier tests' nudges may still be queued or running, and a running relay would pick this
    # event up too; start from a quiet worker so that only the explicit run below can.
    wait_for(lambda: queue.llen(tasks) == 0 and not _pending(settings), message="earlier relays to finish")
    cid = make_credential(settings.database_url, org_id, name="Lost message credential", nudge=False)
    assert queue.llen(tasks) == 0, "a commit with nudge=False must send nothing"
    assert _pending(settings) >= 1
    relay_outbox.apply_async()
    wait_for(lambda: _doc(settings, cid), message="the beat-driven relay to index it")


def test_verify_and_repair_fix_drift(settings, worker, org_id):
    """Drift as a writer that bypasses the outbox would cause it: a stale and a missing document.
    (It bumps the document's version, as a change always does, but records no event.)"""
    from sqlalchemy import update

    stale = make_credential(settings.database_url, org_id, name="Drifting credential")
    missing = make_credential(settings.database_url, org_id, publish=False, name="Published behind our back")
    wait_for(lambda: _doc(settings, stale))
    wait_for(lambda: not operations.verify(settings), message="no drift before the test")
    with session_scope(settings.database_url) as s:
        s.execute(update(Credential).where(Credential.id == stale)
                  .values(name="Renamed without an event", index_version=Credential.index_version + 1))
        s.execute(update(Credential).where(Credential.id == missing)
                  .values(status="published", index_version=Credential.index_version + 1))
    drift = operations.verify(settings)
    assert (drift.stale, drift.missing) == ([stale], [missing])
    assert operations.repair(settings, drift) == 2
    operations.drain(settings)
    assert not operations.verify(settings)
    assert _doc(settings, stale)["_source"]["name"] == "Renamed without an event"


def test_dead_letters_after_repeated_failures(settings, database, indices, org_id):
    """An item OpenSearch keeps rejecting ends in the dead-letter state that status shows."""
    from datetime import timedelta

    from sqlalchemy import update

    from indexer.relay import relay_once
    from store.outbox import MAX_ATTEMPTS

    cid = make_credential(settings.database_url, org_id, publish=False, name="Poison")
    with session_scope(settings.database_url) as s:
        s.add(OutboxEvent(entity="nonsense", entity_id=cid, revision=1))
    client = bulk_client(settings.opensearch_url)
    for _ in range(MAX_ATTEMPTS):
        with session_scope(settings.database_url) as s:
            s.execute(update(OutboxEvent).where(OutboxEvent.entity == "nonsense")
                      .values(available_at=OutboxEvent.created_at - timedelta(seconds=1)))
        relay_once(settings, client)
    report = operations.status(settings)
    assert any(d["entity"] == "nonsense" for d in report["outbox"]["dead_letters"])


def test_concept_counts_follow_published_credentials(settings, worker, org_id):
    """Autocomplete breaks ties by how many published credentials use a concept; beat refreshes it."""
    client = bulk_client(settings.opensearch_url)
    occupations = INDICES["occupations"].alias(settings.index_prefix)
    surveyors = "17-1022.00"

    def count() -> int:
        operations.refresh_concept_counts(settings)
        client.indices.refresh(index=occupations)
        return client.get(index=occupations, id=surveyors)["_source"]["credential_count"]

    before = count()
    cid = make_credential(settings.database_url, org_id, name="Land Surveying Certificate", occupations=[surveyors])
    wait_for(lambda: _doc(settings, cid))
    assert count() == before + 1
    set_status(settings.database_url, cid, "archived")
    assert count() == before
