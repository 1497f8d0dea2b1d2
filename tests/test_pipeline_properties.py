"""Order and duplicates: however events arrive, the index ends identical to the database.

Hypothesis drives a credential through random edits and status changes, then replays what the
relay would write, shuffled and duplicated, against real OpenSearch.
"""
from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st
from opensearchpy import NotFoundError, helpers

from indexer.client import bulk_client
from indexer.lifecycle import create_index
from indexer.registry import INDICES
from indexer.relay import write_credentials
from indexer.sources import LookupLoader, index_action, load_credentials
from store.db import session_scope
from store.models import Credential
from tests.support.factories import edit, make_credential, make_org_and_editor, set_status

pytestmark = pytest.mark.pipeline

STEPS = st.lists(st.one_of(
    st.tuples(st.just("edit"), st.text(alphabet="abcdefgh ", min_size=1, max_size=12)),
    st.tuples(st.just("status"), st.sampled_from(["draft", "published", "archived"])),
), min_size=1, max_size=6)


@pytest.fixture(scope="module")
def org_id(database):
    return make_org_and_editor(database)[0]


@pytest.fixture(scope="module")
def scratch_index(settings, indices):
    """A private index with the credentials mapping, so these writes race nobody's relay."""
    client = bulk_client(settings.opensearch_url)
    name = create_index(client, INDICES["credentials"], f"{settings.index_prefix}props-")
    yield name
    client.indices.delete(index=name, ignore_unavailable=True)


def _state_action(database_url: str, cid: int, index: str) -> dict:
    """What the relay would write for the credential's current state."""
    with session_scope(database_url, write=False) as s:
        credential = load_credentials(s, [cid])[cid]
        if credential.status == "published":
            action = index_action(credential, LookupLoader(s).for_batch([credential]))
        else:
            action = {"_op_type": "delete", "_id": str(cid), "_version": credential.revision,
                      "_version_type": "external_gte"}
    return {**action, "_index": index}


def _apply(steps, database_url: str, cid: int) -> None:
    for kind, value in steps:
        if kind == "edit":
            edit(database_url, cid, name=f"Credential {value.strip() or 'x'}")
        else:
            set_status(database_url, cid, value)


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, data=st.data())
def test_stale_and_repeated_writes_never_win(settings, org_id, scratch_index, steps, data):
    client = bulk_client(settings.opensearch_url)
    cid = make_credential(settings.database_url, org_id, name=f"Prop {uuid.uuid4().hex[:6]}", nudge=False)
    history = [_state_action(settings.database_url, cid, scratch_index)]
    for step in steps:
        _apply([step], settings.database_url, cid)
        history.append(_state_action(settings.database_url, cid, scratch_index))
    replay = data.draw(st.lists(st.sampled_from(history), min_size=len(history), max_size=3 * len(history)))
    replay = data.draw(st.permutations(history + replay))
    helpers.bulk(client, replay, raise_on_error=False)
    with session_scope(settings.database_url, write=False) as s:
        credential = s.get(Credential, cid)
        status, revision = credential.status, credential.revision
    try:
        doc = client.get(index=scratch_index, id=str(cid))
    except NotFoundError:
        doc = None
    if status == "published":
        assert doc is not None and doc["_version"] == revision
        assert doc["_source"] == history[-1]["_source"]
    else:
        assert doc is None


@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(STEPS, min_size=2, max_size=4), data=st.data())
def test_relay_events_shuffled_and_duplicated_end_in_the_database_state(settings, org_id, scratch_index, plans, data):
    client = bulk_client(settings.opensearch_url)
    ids = []
    for plan in plans:
        cid = make_credential(settings.database_url, org_id, name=f"Relay {uuid.uuid4().hex[:6]}", nudge=False)
        _apply(plan, settings.database_url, cid)
        ids.append(cid)
    events = [cid for cid, plan in zip(ids, plans) for _ in range(len(plan) + 1)]
    events = data.draw(st.permutations(events + data.draw(st.lists(st.sampled_from(ids), max_size=6))))
    chunk = data.draw(st.integers(min_value=1, max_value=4))
    for start in range(0, len(events), chunk):
        with session_scope(settings.database_url, write=False) as s:
            outcome = write_credentials(s, client, scratch_index, set(events[start:start + chunk]))
        assert all(error is None for error in outcome.values()), outcome
    with session_scope(settings.database_url, write=False) as s:
        expected = {c.id: (c.status, c.revision) for c in s.query(Credential).filter(Credential.id.in_(ids))}
    for cid, (status, revision) in expected.items():
        try:
            version = client.get(index=scratch_index, id=str(cid))["_version"]
        except NotFoundError:
            version = None
        assert version == (revision if status == "published" else None), (cid, status, revision)
