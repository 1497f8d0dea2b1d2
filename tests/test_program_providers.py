"""A program's provider is the credential's own organization or an education provider, never
silently another issuer: through the service, the authoring API and the editor's picker."""
from __future__ import annotations

import uuid

import pytest

from store.db import session_scope
from catalog.accounts import service as accounts
from catalog.authoring import service
from catalog.authoring.validation import ValidationError
from store.models import Credential, User
from tests.support.factories import make_credential


PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def orgs(database):
    tag = uuid.uuid4().hex[:8]
    with session_scope(database) as s:
        made = {
            "own": accounts.create_org(s, f"Own Board {tag}", ["issuer"]),
            "college": accounts.create_org(s, f"Provider College {tag}", ["education_provider"]),
            "issuing_college": accounts.create_org(s, f"Issuing College {tag}", ["issuer", "education_provider"]),
            "other_issuer": accounts.create_org(s, f"Other Issuer {tag}", ["issuer"]),
            "verifier": accounts.create_org(s, f"Some Verifier {tag}", ["verifier"]),
        }
        editor = accounts.create_user(s, f"provider-editor-{tag}@example.org", PASSWORD)
        accounts.grant(s, editor, made["own"], "editor")
        # An editor of two organizations still may not name the other one as a provider.
        accounts.grant(s, editor, made["other_issuer"], "editor")
        ids = {name: org.id for name, org in made.items()}
        names = {name: org.name for name, org in made.items()}
        ids["editor"] = editor.id
        return {"ids": ids, "names": names, "editor": editor.email}


def save_programs(database_url: str, credential_id: int, provider_org_id) -> None:
    with session_scope(database_url) as s:
        credential = s.get(Credential, credential_id)
        service.save_section(s, None, credential, "programs",
                             [{"provider_org_id": provider_org_id, "name": "Evening cohort"}])


@pytest.mark.parametrize("provider", ["own", "college", "issuing_college"])
def test_own_organization_and_education_providers_may_be_named(database, orgs, provider):
    credential_id = make_credential(database, orgs["ids"]["own"], publish=False)
    save_programs(database, credential_id, orgs["ids"][provider])
    with session_scope(database) as s:
        assert [p.provider_org_id for p in s.get(Credential, credential_id).programs] == [orgs["ids"][provider]]


@pytest.mark.parametrize("provider", ["other_issuer", "verifier"])
def test_another_issuer_or_verifier_is_refused_with_a_message(database, orgs, provider):
    credential_id = make_credential(database, orgs["ids"]["own"], publish=False)
    with pytest.raises(ValidationError) as err:
        save_programs(database, credential_id, orgs["ids"][provider])
    message = err.value.errors["programs[0].provider_org_id"]
    assert orgs["names"][provider] in message and "not an education provider" in message
    with session_scope(database) as s:
        assert s.get(Credential, credential_id).programs == []


@pytest.mark.parametrize("value", [1.5, True, "1.5", "abc"])
def test_a_provider_id_that_is_not_a_whole_number_is_refused(database, orgs, value):
    credential_id = make_credential(database, orgs["ids"]["own"], publish=False)
    if value == 1.5:
        value = orgs["ids"]["college"] + 0.5  # would round onto an allowed provider
    with pytest.raises(ValidationError) as err:
        save_programs(database, credential_id, value)
    assert "whole number" in err.value.errors["programs[0].provider_org_id"]


def test_the_authoring_api_refuses_another_issuer_as_provider(client, database, orgs):
    with session_scope(database) as s:
        token = accounts.create_token(s, s.get(User, orgs["ids"]["editor"]), "providers")[1]
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post("/api/v1/editor/credentials", headers=headers,
                          json={"organization_id": orgs["ids"]["own"], "name": "Provider test"})
    assert created.status_code == 201, created.json
    path = f"/api/v1/editor/credentials/{created.json['id']}"
    refused = client.patch(path, headers=headers, json={"revision": created.json["revision"], "programs": [
        {"provider_org_id": orgs["ids"]["other_issuer"], "name": "Evening cohort"}]})
    assert refused.status_code == 400
    assert "not an education provider" in refused.json["fields"]["programs[0].provider_org_id"]
    accepted = client.patch(path, headers=headers, json={"revision": created.json["revision"], "programs": [
        {"provider_org_id": orgs["ids"]["college"], "name": "Evening cohort"}]})
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["programs"][0]["provider_org_id"] == orgs["ids"]["college"]


def test_the_editor_picker_offers_only_allowed_providers(settings, database, orgs):
    """The programme tab's provider autocomplete (no dropdown of every organization)."""
    from webapp import create_app

    client = create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False).test_client()
    assert client.post("/login", data={"email": orgs["editor"], "password": PASSWORD}).status_code == 302
    credential_id = make_credential(database, orgs["ids"]["own"], publish=False)
    page = client.get(f"/editor/credentials/{credential_id}/programs").get_data(as_text=True)
    assert orgs["names"]["other_issuer"] not in page and orgs["names"]["college"] not in page
    tag = orgs["names"]["own"].rsplit(" ", 1)[1]
    answer = client.get(f"/editor/api/credentials/{credential_id}/provider-options?q={tag}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    offered = {int(item["id"]) for item in answer.json["items"]}
    ids = orgs["ids"]
    assert offered == {ids["own"], ids["college"], ids["issuing_college"]}
    assert answer.json["total"] == 3
    college = client.get(f"/editor/api/credentials/{credential_id}/provider-options?q=provider+college+{tag}").json
    assert [item["label"] for item in college["items"]] == [orgs["names"]["college"]]
    assert client.get(f"/editor/api/credentials/{credential_id}/provider-options?q=").json["items"] == []
    too_long = client.get(f"/editor/api/credentials/{credential_id}/provider-options?q={'x' * 201}")
    assert too_long.status_code == 400 and "at most 200" in too_long.json["message"]
