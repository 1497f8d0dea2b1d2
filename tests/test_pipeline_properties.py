"""Order and duplicates: however events arrive, the index ends identical to the database.

Hypothesis drives credentials through random edits and status changes, then:
- replays what the relay wrote at each step (indexer.relay.relay_actions, the relay's own code),
  shuffled and duplicated, through the relay's own bulk writer: a stale write never wins;
- queues their outbox events shuffled and duplicated and runs the real relay (relay_once) in
  random batch sizes: the index ends equal to the database.

The second test owns its database and index prefix, so its relay claims no other test's events.
"""
from __future__ import annotations

import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st
from opensearchpy import NotFoundError

from catalog.authoring import service
from catalog.taxonomy import import_bundled
from indexer.client import bulk_client
from indexer.lifecycle import create_index, drop_all, ensure_index
from indexer.registry import INDICES
from indexer.relay import relay_actions, relay_once, write_actions
from store.db import session_scope
from store.migrate import upgrade
from store.models import Credential
from store.outbox import record_change
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


@pytest.fixture(scope="module")
def own_catalog(settings, tmp_path_factory):
    """Settings for a database and index prefix of this module's own, with an org in it."""
    from tests.conftest import throwaway_database

    with throwaway_database(tmp_path_factory.mktemp("props"), "props") as database_url:
        own = replace(settings, database_url=database_url, index_prefix=f"{settings.index_prefix}relayprops-")
        upgrade(database_url)
        with session_scope(database_url) as session:
            import_bundled(session, ["onet-soc", "naics-2022", "cip-2020", "skills"])
        client = bulk_client(own.opensearch_url)
        ensure_index(client, INDICES["credentials"], own.index_prefix)
        yield own, make_org_and_editor(database_url)[0]
        drop_all(client, own.index_prefix)


def _state_action(database_url: str, cid: int, index: str) -> dict:
    """What the relay writes for the credential's current state."""
    with session_scope(database_url, write=False) as s:
        [action] = relay_actions(s, index, {cid})
    return action


def _apply(steps, database_url: str, cid: int) -> None:
    for kind, value in steps:
        if kind == "edit":
            try:
                edit(database_url, cid, name=f"Credential {value.strip() or 'x'}")
            except service.ArchivedError:
                pass  # refused, nothing changed: an archived credential is edited only once unarchived
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
    for start in range(0, len(replay), 3):
        outcome = write_actions(client, replay[start:start + 3])
        assert all(error is None for error in outcome.values()), outcome
    with session_scope(settings.database_url, write=False) as s:
        credential = s.get(Credential, cid)
        status, version = credential.status, credential.index_version
    try:
        doc = client.get(index=scratch_index, id=str(cid))
    except NotFoundError:
        doc = None
    if status == "published":
        assert doc is not None and doc["_version"] == version
        assert doc["_source"] == history[-1]["_source"]
    else:
        assert doc is None


@hsettings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(STEPS, min_size=2, max_size=4), data=st.data())
def test_relay_events_shuffled_and_duplicated_end_in_the_database_state(own_catalog, plans, data):
    own, org = own_catalog
    client = bulk_client(own.opensearch_url)
    alias = INDICES["credentials"].alias(own.index_prefix)
    ids = []
    for plan in plans:
        cid = make_credential(own.database_url, org, name=f"Relay {uuid.uuid4().hex[:6]}", nudge=False)
        _apply(plan, own.database_url, cid)
        ids.append(cid)
    # The writers' own events are already queued; add shuffled duplicates at stale revisions.
    extra = data.draw(st.permutations(ids + data.draw(st.lists(st.sampled_from(ids), max_size=6))))
    with session_scope(own.database_url) as s:
        s.info["nudge"] = False
        for cid in extra:
            record_change(s, "credential", cid, 1)
    batch = data.draw(st.integers(min_value=1, max_value=4))
    while relay_once(own, client, limit=batch).claimed:
        pass
    client.indices.refresh(index=alias)
    with session_scope(own.database_url, write=False) as s:
        expected = {c.id: (c.status, c.index_version) for c in s.query(Credential).filter(Credential.id.in_(ids))}
    for cid, (status, index_version) in expected.items():
        try:
            version = client.get(index=alias, id=str(cid))["_version"]
        except NotFoundError:
            version = None
        assert version == (index_version if status == "published" else None), (cid, status, index_version)
