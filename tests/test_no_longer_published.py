"""What stays public once a credential leaves the catalog: only what the public saw, nothing newer.

- A credential that was never published does not exist for the public, archived or not: 404 on
  the API and the page, as drafts are (ids are sequential, so a 410 would name every draft).
- An archived credential's 410 names it as it was last published, not as a later draft.
- An archived credential cannot be changed until it is unarchived (made a draft or published).
- Another organization that links to it sees its last published name, marked as no longer
  published, never the draft name it was renamed to afterwards.
"""
from __future__ import annotations

import uuid

import pytest

from catalog.accounts import service as accounts
from catalog.authoring import service
from catalog.authoring.snapshot import section_snapshot
from store.db import session_scope
from store.models import Credential
from tests.support.factories import NURSING
from tests.test_editor_pages import log_in, make_person, submit, tab_url, text

API = "/api/v1/editor/credentials"


@pytest.fixture(scope="module")
def world(settings, database):
    """Issuers A and B, an API token for an editor of each."""
    tag = uuid.uuid4().hex[:8]
    with session_scope(database) as s:
        a = accounts.create_org(s, f"Issuer A {tag}", ["issuer"])
        b = accounts.create_org(s, f"Issuer B {tag}", ["issuer"])
        tokens = {}
        for name, org in (("a", a), ("b", b)):
            user = accounts.create_user(s, f"{name}-{tag}@example.org", "correct horse battery")
            accounts.grant(s, user, org, "editor")
            tokens[name] = accounts.create_token(s, user, "tests")[1]
        return {"a": a.id, "b": b.id, "tokens": tokens}


def call(client, world, who: str, method: str, url: str, body=None):
    return client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {world['tokens'][who]}"})


def create(client, world, who: str, name: str, **extra) -> dict:
    response = call(client, world, who, "POST", API, {**NURSING, "name": name, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(client, world, who: str, credential: dict, action: str) -> dict:
    response = call(client, world, who, "POST", f"{API}/{credential['id']}/{action}",
                    {"revision": credential["revision"]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def rename(client, world, who: str, credential: dict, name: str):
    return call(client, world, who, "PATCH", f"{API}/{credential['id']}",
                {"revision": credential["revision"], "name": name})


# --- never published ----------------------------------------------------------------------------


def test_an_archived_credential_that_was_never_published_is_not_found(client, world):
    secret = f"Unreleased draft {uuid.uuid4().hex[:6]}"
    draft = create(client, world, "a", secret)
    act(client, world, "a", draft, "archive")

    api = client.get(f"/api/v1/credentials/{draft['id']}")
    page = client.get(f"/credentials/{draft['id']}")
    assert (api.status_code, page.status_code) == (404, 404)
    assert secret not in api.get_data(as_text=True) and secret not in text(page)


# --- archived: the last published state ---------------------------------------------------------


def test_an_archived_credential_shows_only_its_last_published_name(client, world):
    public = f"Public name {uuid.uuid4().hex[:6]}"
    secret = f"Renamed as a draft {uuid.uuid4().hex[:6]}"
    credential = act(client, world, "a", create(client, world, "a", public), "publish")
    credential = act(client, world, "a", credential, "unpublish")
    renamed = rename(client, world, "a", credential, secret)
    assert renamed.status_code == 200, renamed.get_json()
    act(client, world, "a", renamed.get_json(), "archive")

    api = client.get(f"/api/v1/credentials/{credential['id']}")
    page = client.get(f"/credentials/{credential['id']}")
    assert (api.status_code, page.status_code) == (410, 410)
    for body in (api.get_data(as_text=True), text(page)):
        assert public in body
        assert secret not in body


def test_a_rename_while_published_is_public_at_once(client, world):
    first, second = (f"{word} {uuid.uuid4().hex[:6]}" for word in ("First", "Second"))
    credential = act(client, world, "a", create(client, world, "a", first), "publish")
    renamed = rename(client, world, "a", credential, second)
    act(client, world, "a", renamed.get_json(), "archive")
    assert second in client.get(f"/api/v1/credentials/{credential['id']}").get_json()["message"]


# --- archived: read-only until unarchived -------------------------------------------------------


def test_an_archived_credential_cannot_be_changed_through_the_api(client, world):
    name = f"Archived {uuid.uuid4().hex[:6]}"
    credential = act(client, world, "a", act(client, world, "a", create(client, world, "a", name), "publish"), "archive")

    refused = rename(client, world, "a", credential, "Renamed while archived")
    body = refused.get_json()
    assert refused.status_code == 409, body
    assert body["error"] == "archived" and "unarchive" in body["message"].lower()
    sectors = call(client, world, "a", "PATCH", f"{API}/{credential['id']}",
                   {"revision": credential["revision"], "sectors": ["62", "61"]})
    assert sectors.status_code == 409
    assert call(client, world, "a", "GET", f"{API}/{credential['id']}").get_json()["name"] == name

    unarchived = act(client, world, "a", credential, "unpublish")  # archived -> draft
    assert unarchived["status"] == "draft"
    assert rename(client, world, "a", unarchived, "Renamed after unarchiving").status_code == 200


def test_the_service_refuses_every_section_of_an_archived_credential(settings, world):
    with session_scope(settings.database_url) as s:
        s.info["nudge"] = False
        credential = service.create_credential(s, None, world["a"], {**NURSING, "name": "Service archive"})
        service.set_status(s, None, credential, "archived")
        for section in service.APPLY:
            with pytest.raises(service.ArchivedError, match="unarchive"):
                service.save_section(s, None, credential, section, section_snapshot(credential, section))
        service.add_note(s, None, credential, "Notes are not the record: they may still be added.")


def test_the_editor_says_an_archived_credential_must_be_unarchived_first(client, settings, world):
    with session_scope(settings.database_url) as s:
        credential = service.create_credential(s, None, world["a"], {**NURSING, "name": "Editor archive"})
        service.set_status(s, None, credential, "archived")
        credential_id = credential.id
    log_in(client, make_person(settings.database_url, world["a"]))
    assert "archived" in text(client.get(tab_url(credential_id, "details"))).lower()

    details = {"name": "Renamed in the editor", "credential_type": "license", "description": "x", "language": "en"}
    response = submit(client, tab_url(credential_id, "details"), details)
    page = text(response)
    assert response.status_code == 409
    assert "Nothing was saved" in page and "unarchive" in page.lower()
    with session_scope(settings.database_url, write=False) as s:
        assert s.get(Credential, credential_id).name == "Editor archive"


# --- another organization's link ----------------------------------------------------------------


@pytest.mark.parametrize("leaves_by", ["unpublish", "archive"])
def test_a_link_from_another_organization_never_shows_a_later_draft_name(client, settings, world, leaves_by):
    public = f"Linked public {uuid.uuid4().hex[:6]}"
    secret = f"Linked draft rename {uuid.uuid4().hex[:6]}"
    target = act(client, world, "a", create(client, world, "a", public), "publish")
    linker = create(client, world, "b", f"Linker {uuid.uuid4().hex[:6]}",
                    related=[{"kind": "related", "credential_id": target["id"]}])

    target = act(client, world, "a", target, "unpublish")
    target = rename(client, world, "a", target, secret).get_json()
    if leaves_by == "archive":
        act(client, world, "a", target, "archive")

    api = call(client, world, "b", "GET", f"{API}/{linker['id']}")
    assert api.status_code == 200 and secret not in api.get_data(as_text=True)
    log_in(client, make_person(settings.database_url, world["b"]))
    page = text(client.get(tab_url(linker["id"], "related")))
    assert secret not in page
    assert public in page and "no longer published" in page

