"""Two races found by reading the relay, each driven step by step with the real functions.

1. Two relays write the same credential out of order after its organization was renamed. The
   credential's revision does not change with a rename, so a version taken from the revision
   lets the older content win; the document's version has to change whenever its content may.
2. A rebuild catches its new index up with outbox events newer than a mark. On PostgreSQL an id
   is allocated at insert and transactions commit in any order, so an event with an id below the
   mark can commit after the mark was read.

Both work on an alias of their own (a prefix under this run's), so no worker of the shared test
index relays these credentials in between the steps.
"""
from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import func, select

from catalog.accounts import service as accounts
from catalog.authoring import service
from catalog.authoring.snapshot import section_snapshot
from indexer import operations
from indexer.client import bulk_client
from indexer.lifecycle import drop_all, ensure_index
from indexer.registry import INDICES
from indexer.relay import relay_actions, write_actions, write_credentials
from store.db import session_scope
from store.models import Credential, Organization
from tests.conftest import BACKEND
from tests.support.factories import make_credential, make_org_and_editor

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def own(settings, database):
    """Settings whose credentials alias nobody else writes to."""
    own = dataclasses.replace(settings, index_prefix=f"{settings.index_prefix}races-{uuid.uuid4().hex[:4]}-")
    client = bulk_client(own.opensearch_url)
    ensure_index(client, INDICES["credentials"], own.index_prefix)
    yield own
    drop_all(client, own.index_prefix)


def _alias(settings) -> str:
    return INDICES["credentials"].alias(settings.index_prefix)


def _relay(settings, ids) -> None:
    """What one relay batch does for `ids`: read them now, write them, confirm."""
    with session_scope(settings.database_url, write=False) as reader:
        outcome = write_credentials(reader, bulk_client(settings.opensearch_url), _alias(settings), set(ids))
    assert all(error is None for error in outcome.values()), outcome


def _stale_actions(settings, ids) -> list[dict]:
    """The first half of a relay batch: the rows read and the bulk actions built, not yet sent."""
    with session_scope(settings.database_url, write=False) as reader:
        return relay_actions(reader, _alias(settings), set(ids))


def _rename_org(settings, org_id: int, name: str) -> None:
    with session_scope(settings.database_url) as s:
        s.info["nudge"] = False
        accounts.rename_org(s, s.get(Organization, org_id), name)


def _indexed(settings, cid: int) -> dict:
    return bulk_client(settings.opensearch_url).get(index=_alias(settings), id=str(cid))


def test_an_older_batch_written_after_an_org_rename_loses(own):
    org_id, _ = make_org_and_editor(own.database_url)
    cid = make_credential(own.database_url, org_id, name=f"Race {uuid.uuid4().hex[:6]}", nudge=False)
    _rename_org(own, org_id, f"Before {uuid.uuid4().hex[:6]}")
    _relay(own, [cid])

    slow_batch = _stale_actions(own, [cid])           # relay 1 reads the issuer's old name ...
    new_name = f"Renamed {uuid.uuid4().hex[:6]}"
    _rename_org(own, org_id, new_name)                 # ... the issuer is renamed ...
    _relay(own, [cid])                                 # ... relay 2 writes the new name ...
    write_actions(bulk_client(own.opensearch_url), slow_batch)  # ... relay 1 writes late

    doc = _indexed(own, cid)
    assert doc["_source"]["issuer"]["name"] == new_name, "the older content overwrote the newer one"
    assert cid not in operations.verify(own).ids


def test_verify_sees_an_org_rename_the_index_has_not_had(own):
    org_id, _ = make_org_and_editor(own.database_url)
    cid = make_credential(own.database_url, org_id, name=f"Verify {uuid.uuid4().hex[:6]}", nudge=False)
    _relay(own, [cid])
    assert cid not in operations.verify(own).ids

    _rename_org(own, org_id, f"Renamed {uuid.uuid4().hex[:6]}")  # queued, not relayed
    assert cid in operations.verify(own).stale, "the document shows the old issuer name, and verify must say so"
    _relay(own, [cid])
    assert cid not in operations.verify(own).ids


def test_every_outbox_event_gives_the_document_a_new_version(own):
    """One function queues a credential and bumps its document's version, for every writer."""
    org_id, _ = make_org_and_editor(own.database_url)
    cid = make_credential(own.database_url, org_id, name=f"Versions {uuid.uuid4().hex[:6]}", nudge=False)

    def version() -> int:
        with session_scope(own.database_url, write=False) as s:
            return s.scalar(select(Credential.index_version).where(Credential.id == cid))

    start = version()
    with session_scope(own.database_url) as s:
        s.info["nudge"] = False
        credential = s.get(Credential, cid)
        service.save_section(s, None, credential, "details",
                             {**section_snapshot(credential, "details"), "description": "Changed."})
    assert version() == start + 1
    _rename_org(own, org_id, f"Renamed {uuid.uuid4().hex[:6]}")
    assert version() == start + 2
    _relay(own, [cid])
    assert _indexed(own, cid)["_version"] == start + 2


# --- the rebuild's catch-up -------------------------------------------------------------------


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite has one writer at a time: a transaction holding an "
                                                  "outbox row blocks every later insert until it commits, so "
                                                  "ids always commit in order")
def test_catch_up_includes_an_event_that_committed_after_the_mark(own):
    from indexer.lifecycle import create_index
    from indexer.relay import catch_up_mark, replay_since
    from store.db import get_sessionmaker
    from store.models import OutboxEvent

    client = bulk_client(own.opensearch_url)
    org_id, _ = make_org_and_editor(own.database_url)
    late = make_credential(own.database_url, org_id, name=f"Late {uuid.uuid4().hex[:6]}", nudge=False)
    early = make_credential(own.database_url, org_id, name=f"Early {uuid.uuid4().hex[:6]}", nudge=False)
    new_index = create_index(client, INDICES["credentials"], own.index_prefix)

    slow = get_sessionmaker(own.database_url)()
    slow.info["nudge"] = False
    try:
        credential = slow.get(Credential, late)
        late_name = f"Renamed late {uuid.uuid4().hex[:6]}"
        service.save_section(slow, None, credential, "details", {**section_snapshot(credential, "details"),
                                                                 "name": late_name})
        slow.flush()  # its outbox row has an id now, and is not committed
        late_event = slow.scalar(select(func.max(OutboxEvent.id)).where(OutboxEvent.entity_id == late))
        with session_scope(own.database_url) as fast:
            fast.info["nudge"] = False
            other = fast.get(Credential, early)
            service.save_section(fast, None, other, "details", {**section_snapshot(other, "details"),
                                                                "description": "Committed first, with a later id."})
        with session_scope(own.database_url, write=False) as s:
            mark = catch_up_mark(s)  # the rebuild starts (operations.reindex)
        assert late_event < mark.event_id, "the slow transaction's event has the earlier id"
        slow.commit()
    finally:
        slow.close()

    with session_scope(own.database_url, write=False) as s:
        replay_since(s, client, new_index, mark)
    client.indices.refresh(index=new_index)
    found = client.mget(index=new_index, body={"ids": [str(late)]})["docs"][0]
    client.indices.delete(index=new_index)
    assert found["found"] and found["_source"]["name"] == late_name, "the catch-up missed the late commit"
