"""The credential editor's pages through the Flask test client, on the real database.

Requests go through the session's real app, CSRF included: each helper opens the page first and
submits what its form carries (the CSRF token and the revision the page was rendered at), the way
a browser does. The pure form translation is unit-tested at the end.
"""
from __future__ import annotations

import html
import re
import uuid

import pytest
from werkzeug.datastructures import MultiDict

from store.db import session_scope
from store.models import Credential, Organization
from tests.support.factories import make_credential, wait_for
from catalog.accounts import service as accounts
from webapp.editor import forms
from webapp.editor.tabs import TABS


PASSWORD = "correct horse battery"


# --- helpers -----------------------------------------------------------------------------------


def make_person(database_url: str, org_id: int | None = None, role: str = "editor", admin: bool = False) -> str:
    address = f"editor-{uuid.uuid4().hex[:10]}@example.org"
    with session_scope(database_url) as s:
        user = accounts.create_user(s, address, PASSWORD, name=f"Editor {address[7:11]}", platform_admin=admin)
        if org_id is not None:
            accounts.grant(s, user, s.get(Organization, org_id), role)
    return address


def make_org(database_url: str, kinds=("issuer",)) -> int:
    with session_scope(database_url) as s:
        return accounts.create_org(s, f"Org {uuid.uuid4().hex[:8]}", list(kinds)).id


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden_value(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))


def log_in(client, address: str) -> None:
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/login"))).group(1)
    response = client.post("/login", data={"email": address, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, text(response)


def submit(client, url: str, data, revision: str | None = None):
    """Open `url`, then post `data` with the page's CSRF token and revision (or `revision`)."""
    page = text(client.get(url))
    form = MultiDict(data)
    form["csrf_token"] = hidden_value(page, "csrf_token")
    if 'name="revision"' in page:
        form["revision"] = revision if revision is not None else hidden_value(page, "revision")
    return client.post(url, data=form)


def field_error(page: str, key: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="{forms.field_id(key)}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def tab_url(credential_id: int, slug: str) -> str:
    return f"/editor/credentials/{credential_id}/{slug}"


DETAILS = {"name": "Phlebotomy Technician Certificate", "alternate_names": "PTC\nPhlebotomist, Certified",
           "description": "Draw blood safely for tests, transfusions and donations.",
           "credential_type": "certificate", "url": "https://example.org/ptc", "language": "en",
           "cost.amount": "1,250.50", "cost.currency": "usd", "cost.note": "Exam fee included",
           "duration.value": "12", "duration.unit": "weeks", "delivery_mode": "blended",
           "keywords": "phlebotomy, blood draw", "lifecycle": "active", "cip_codes": "51.1009"}


@pytest.fixture(scope="module")
def org(database):
    return make_org(database)


@pytest.fixture()
def editor(client, database, org):
    address = make_person(database, org)
    log_in(client, address)
    return address


def create(client, org_id: int, **details) -> int:
    response = submit(client, "/editor/new", {**DETAILS, "org_id": str(org_id), **details})
    assert response.status_code == 303, text(response)
    return int(re.search(r"/credentials/(\d+)/details", response.headers["Location"]).group(1))


# --- who may open the editor -------------------------------------------------------------------


def test_anonymous_people_are_sent_to_the_login_page(client, database):
    response = client.get("/editor/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"] and "next=" in response.headers["Location"]


def test_a_user_without_an_authoring_organization_is_told_how_to_ask_for_access(client, database):
    provider = make_org(database, kinds=("education_provider",))
    log_in(client, make_person(database, provider))
    for url in ("/editor/", "/editor/new", tab_url(1, "details")):
        response = client.get(url)
        assert response.status_code == 403
        assert 'href="/access-request"' in text(response) and "Request access" in text(response)


def test_another_organizations_credential_is_not_found_on_every_route(client, database, editor):
    other = make_credential(database, make_org(database), publish=False)
    for tab in TABS:
        assert client.get(tab_url(other, tab.slug)).status_code == 404
    assert client.get(f"/editor/credentials/{other}/history").status_code == 404
    assert client.get(f"/editor/api/credentials/{other}/link-options?q=nurse").status_code == 404
    page = text(client.get("/editor/"))
    response = client.post(tab_url(other, "details"), data={**DETAILS, "revision": "1",
                                                           "csrf_token": hidden_value(page, "csrf_token")})
    assert response.status_code == 404
    with session_scope(database) as s:
        assert s.get(Credential, other).name == "Registered Nurse License"


def test_platform_admins_may_open_any_credential(client, database):
    other = make_credential(database, make_org(database), publish=False)
    log_in(client, make_person(database, admin=True))
    assert client.get(tab_url(other, "skills")).status_code == 200


# --- My Credentials and Create Credential ------------------------------------------------------


def test_my_credentials_lists_the_organizations_credentials_and_filters_by_status(client, database, org, editor):
    names = {kind: f"{kind} {uuid.uuid4().hex[:6]}" for kind in ("Draft", "Published", "Foreign")}
    make_credential(database, org, publish=False, name=names["Draft"])
    make_credential(database, org, name=names["Published"])
    make_credential(database, make_org(database), name=names["Foreign"])
    page = text(client.get("/editor/"))
    assert names["Draft"] in page and names["Published"] in page and names["Foreign"] not in page
    assert 'href="/editor/new"' in page and "Create Credential" in page
    only_published = text(client.get("/editor/?status=published"))
    assert names["Published"] in only_published and names["Draft"] not in only_published
    assert 'aria-current="page">Published' in only_published
    assert client.get("/editor/?status=lost").status_code == 400


def test_creating_a_credential_saves_its_details_for_the_chosen_organization(client, database, org, editor):
    page = text(client.get("/editor/new"))
    assert "Create Credential" in page and 'name="org_id"' in page
    credential_id = create(client, org)
    with session_scope(database) as s:
        c = s.get(Credential, credential_id)
        assert (c.org_id, c.status, c.name) == (org, "draft", DETAILS["name"])
        assert c.alternate_names == ["PTC", "Phlebotomist, Certified"]
        assert (str(c.cost_amount), c.cost_currency) == ("1250.50", "USD")
        assert (c.duration_value, c.duration_unit) == (12, "weeks")
        assert c.cip_codes == ["51.1009"] and c.keywords == ["phlebotomy", "blood draw"]


def test_creating_for_an_organization_the_user_does_not_belong_to_is_refused(client, database, editor):
    response = submit(client, "/editor/new", {**DETAILS, "org_id": str(make_org(database))})
    assert response.status_code == 422
    assert "choose which of your organizations" in text(response)


def test_every_tab_renders_with_the_active_tab_marked(client, database, org, editor):
    credential_id = create(client, org)
    for number, tab in enumerate(TABS, 1):
        response = client.get(tab_url(credential_id, tab.slug))
        page = text(response)
        assert response.status_code == 200, tab.slug
        assert re.search(rf'href="{tab_url(credential_id, tab.slug)}" aria-current="page">\s*'
                         rf'<span class="tab-number" aria-hidden="true">{number}</span> {re.escape(tab.title)}', page)
        if tab.slug != "notes":
            assert 'name="revision"' in page and 'name="csrf_token"' in page
    history = text(client.get(f"/editor/credentials/{credential_id}/history"))
    assert editor in history and "Phlebotomy Technician Certificate" in history


# --- saving tabs -------------------------------------------------------------------------------


def test_details_errors_appear_next_to_their_fields_and_the_input_is_kept(client, database, org, editor):
    credential_id = create(client, org)
    response = submit(client, tab_url(credential_id, "details"),
                      {**DETAILS, "name": "", "cost.amount": "lots", "url": "example.org", "duration.unit": ""})
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "name") == "Credential name is required."
    assert field_error(page, "cost.amount") == "Cost amount must be a number, e.g. 1250.00."
    assert "must be a web address" in field_error(page, "url")
    assert field_error(page, "duration.unit") == "Choose a unit for the duration."
    assert '<a href="#f-cost-amount">' in page and 'id="error-summary"' in page
    assert 'value="lots"' in page and 'value="example.org"' in page   # what was typed stays
    with session_scope(database) as s:
        assert s.get(Credential, credential_id).name == DETAILS["name"]


def test_occupations_sectors_and_related_credentials_are_saved(client, database, org, editor):
    credential_id = create(client, org)
    published = make_credential(database, make_org(database))
    own_draft = make_credential(database, org, publish=False, name="Own draft credential")
    response = submit(client, tab_url(credential_id, "occupations"),
                      [("occupations", "29-1141.00"), ("occupations", "29-2061.00"), ("sectors", "62")])
    assert response.status_code == 303
    page = text(client.get(tab_url(credential_id, "occupations")))
    assert "Registered Nurses" in page and "29-2061.00" in page
    related = [("rel_kind", "related"), ("rel_credential_id", str(published)), ("rel_cip", ""), ("rel_type", ""),
               ("rel_name", ""), ("rel_kind", "required"), ("rel_credential_id", str(own_draft)), ("rel_cip", ""),
               ("rel_type", ""), ("rel_name", ""),
               ("new_required_cip", "51.3801"), ("new_required_type", "license"), ("new_required_name", "RN license")]
    assert submit(client, tab_url(credential_id, "related"), related).status_code == 303
    with session_scope(database) as s:
        c = s.get(Credential, credential_id)
        assert [o.code for o in c.occupations] == ["29-1141.00", "29-2061.00"]
        assert [x.code for x in c.sectors] == ["62"]
        assert [(r.kind, r.target_id, r.external_cip, r.external_type, r.external_name) for r in c.relations] == [
            ("related", published, "", "", ""), ("required", own_draft, "", "", ""),
            ("required", None, "51.3801", "license", "RN license")]
    page = text(client.get(tab_url(credential_id, "related")))
    assert "Own draft credential" in page and "RN license" in page

    bad = submit(client, tab_url(credential_id, "occupations"), [("occupations", "99-9999.99")])
    assert bad.status_code == 422 and field_error(text(bad), "occupations") == "Unknown occupation code(s): 99-9999.99."


def test_skills_keep_levels_and_a_custom_level_and_show_row_errors(client, database, org, editor):
    credential_id = create(client, org)
    form = [("scale", level) for level in ("None", "Novice", "Intermediate", "Advanced", "Expert")] + [
        ("new_level_name", "Journeyman"), ("new_level_after", "Advanced"),
        ("skill_id", "2.A.1.a"), ("min_level", "Novice"), ("acquired_level", "Journeyman"),
        ("skill_id", "2.B.1.a"), ("min_level", "Expert"), ("acquired_level", "Novice")]
    response = submit(client, tab_url(credential_id, "skills"), form)
    page = text(response)
    assert response.status_code == 422
    assert field_error(page, "skills[1].acquired_level") == (
        "Skill 2 level acquired cannot be below the minimum experience.")
    assert 'data-level="Journeyman"' in page          # the new level is kept while fixing the row
    form[-1] = ("acquired_level", "Expert")
    assert submit(client, tab_url(credential_id, "skills"), form).status_code == 303
    with session_scope(database) as s:
        c = s.get(Credential, credential_id)
        assert [(lv.name, lv.position) for lv in c.custom_levels] == [("Journeyman", 4)]
        assert [(x.skill_code, x.min_level, x.acquired_level) for x in c.skills] == [
            ("2.A.1.a", "Novice", "Journeyman"), ("2.B.1.a", "Expert", "Expert")]
    page = text(client.get(tab_url(credential_id, "skills")))
    levels = re.findall(r'<li class="level[^"]*" data-level="([^"]+)"', page)
    assert levels == ["None", "Novice", "Intermediate", "Advanced", "Journeyman", "Expert"]


def test_programs_are_added_edited_and_removed(client, database, org, editor):
    credential_id = create(client, org)
    provider = make_org(database, kinds=("education_provider",))
    first = {"programs-0-provider_org_id": str(provider), "programs-0-name": "Evening phlebotomy",
             "programs-0-url": "https://college.example/phleb", "programs-0-delivery_mode": "in_person",
             "programs-0-duration.value": "10", "programs-0-duration.unit": "weeks", "programs-0-cost": "900",
             "programs-0-location": "Springfield, IL", "programs-0-cip": "51.1009"}
    assert submit(client, tab_url(credential_id, "programs"), first).status_code == 303
    page = text(client.get(tab_url(credential_id, "programs")))
    program_id = hidden_value(page, "programs-0-id")
    second = {"programs-0-id": program_id, **{k: v for k, v in first.items() if k != "programs-0-name"},
              "programs-0-name": "Evening phlebotomy (renamed)",
              "programs-1-provider_name": "Online Academy", "programs-1-name": "Online phlebotomy",
              "programs-1-url": "not a url"}
    bad = submit(client, tab_url(credential_id, "programs"), second)
    assert bad.status_code == 422
    assert "must be a web address" in field_error(text(bad), "programs[1].url")
    assert 'value="Online phlebotomy"' in text(bad)
    second["programs-1-url"] = "https://academy.example/p"
    assert submit(client, tab_url(credential_id, "programs"), second).status_code == 303
    with session_scope(database) as s:
        programs = s.get(Credential, credential_id).programs
        assert (programs[0].id, programs[0].name, programs[0].provider_org_id) == (
            int(program_id), "Evening phlebotomy (renamed)", provider)
        assert (programs[1].provider_name, programs[1].name) == ("Online Academy", "Online phlebotomy")
    third = {**second, "programs-0-remove": "1", "programs-1-id": str(programs[1].id)}
    assert submit(client, tab_url(credential_id, "programs"), third).status_code == 303
    with session_scope(database) as s:
        assert [p.name for p in s.get(Credential, credential_id).programs] == ["Online phlebotomy"]


def test_two_new_programs_in_one_save_and_add_program_without_javascript(client, database, org, editor):
    """The seed's "+ Add education program": several new programmes go in one save. Without
    JavaScript the button posts the form, which comes back with the filled-in programme listed
    and a new blank one, nothing saved yet (issue 16)."""
    credential_id = make_credential(database, org, publish=False)
    with session_scope(database) as s:
        before = s.get(Credential, credential_id).revision
    url = tab_url(credential_id, "programs")
    first = {"programs-0-provider_name": "Northfield Adult School", "programs-0-name": "Evening CDL course",
             "programs-0-location": "Northfield, MN"}
    again = submit(client, url, {**first, "add_program": "1"})
    assert again.status_code == 200
    page = text(again)
    assert "Not saved yet" in page and 'value="Evening CDL course"' in page
    assert 'name="programs-1-name"' in page  # the new blank programme, numbered after the first
    with session_scope(database) as s:
        assert s.get(Credential, credential_id).programs == []
    both = {**first, "programs-1-provider_name": "Lakeside Technical College", "programs-1-name": "Weekend CDL course",
            "programs-1-cost": "3900"}
    assert submit(client, url, both).status_code == 303
    with session_scope(database) as s:
        programs = s.get(Credential, credential_id).programs
        assert [(p.provider_name, p.name) for p in programs] == [
            ("Northfield Adult School", "Evening CDL course"), ("Lakeside Technical College", "Weekend CDL course")]
        assert s.get(Credential, credential_id).revision == before + 1  # one save for both programmes


def test_a_conflicting_save_shows_what_the_other_editor_changed_and_keeps_the_input(app, client, database, org, editor):
    credential_id = create(client, org)
    opened_at = hidden_value(text(client.get(tab_url(credential_id, "details"))), "revision")
    other = app.test_client()
    other_address = make_person(database, org)
    log_in(other, other_address)
    renamed = submit(other, tab_url(credential_id, "details"), {**DETAILS, "name": "Renamed by the other editor"})
    assert renamed.status_code == 303

    response = submit(client, tab_url(credential_id, "details"), {**DETAILS, "description": "My unsaved description"},
                      revision=opened_at)
    page = text(response)
    assert response.status_code == 409
    assert "Someone else saved this tab" in page and other_address in page
    assert "Renamed by the other editor" in page and "My unsaved description" in page
    with session_scope(database) as s:
        c = s.get(Credential, credential_id)
        assert (c.name, c.description) == ("Renamed by the other editor", DETAILS["description"])
        current = c.revision
    assert hidden_value(page, "revision") == str(current)
    # Saving again from the conflict page is a deliberate choice to keep this version.
    again = submit(client, tab_url(credential_id, "details"), {**DETAILS, "description": "My unsaved description"},
                   revision=str(current))
    assert again.status_code == 303


def test_publishing_lists_what_is_missing_then_publishes(client, database, org, editor):
    credential_id = create(client, org, description="", credential_type="")
    response = submit(client, tab_url(credential_id, "status"), {"status": "published"})
    page = text(response)
    assert response.status_code == 422
    assert "cannot be published yet" in page
    assert "a credential type</a>" in page and "a description</a>" in page and "a name</a>" not in page
    assert submit(client, tab_url(credential_id, "details"), DETAILS).status_code == 303
    assert submit(client, tab_url(credential_id, "status"), {"status": "published"}).status_code == 303
    with session_scope(database) as s:
        assert s.get(Credential, credential_id).status == "published"
    assert submit(client, tab_url(credential_id, "status"), {"status": "gone"}).status_code == 422


def test_a_form_without_its_revision_is_refused_with_a_message(client, database, org, editor):
    credential_id = create(client, org)
    page = text(client.get(tab_url(credential_id, "details")))
    response = client.post(tab_url(credential_id, "details"),
                           data={**DETAILS, "csrf_token": hidden_value(page, "csrf_token")})
    assert response.status_code == 400 and "Reload the page" in text(response)


def test_notes_are_seen_by_the_organizations_editors_but_never_in_public(app, client, database, org, editor, worker):
    credential_id = create(client, org)
    note = f"Check the exam fee with the board {uuid.uuid4().hex[:6]}"
    assert submit(client, tab_url(credential_id, "notes"), {"body": note}).status_code == 303
    assert submit(client, tab_url(credential_id, "notes"), {"body": "  "}).status_code == 422

    colleague = app.test_client()
    log_in(colleague, make_person(database, org))
    page = text(colleague.get(tab_url(credential_id, "notes")))
    assert note in page and editor in page

    stranger = app.test_client()
    log_in(stranger, make_person(database, make_org(database)))
    assert stranger.get(tab_url(credential_id, "notes")).status_code == 404

    assert submit(client, tab_url(credential_id, "status"), {"status": "published"}).status_code == 303
    public = wait_for(lambda: (r := app.test_client().get(f"/credentials/{credential_id}")).status_code == 200 and r,
                      message="the published credential's public page")
    assert DETAILS["name"] in text(public) and note not in text(public)
    api = app.test_client().get(f"/api/v1/credentials/{credential_id}")
    assert api.status_code == 200 and note not in text(api)


# --- the related-credential picker's source ----------------------------------------------------


def test_link_options_offer_published_credentials_and_own_drafts_only(client, database, org, editor):
    tag = uuid.uuid4().hex[:6]
    this = make_credential(database, org, publish=False, name=f"Linkable {tag} this one")
    own_draft = make_credential(database, org, publish=False, name=f"Linkable {tag} own draft")
    published = make_credential(database, make_org(database), name=f"Linkable {tag} published")
    make_credential(database, make_org(database), publish=False, name=f"Linkable {tag} foreign draft")
    body = client.get(f"/editor/api/credentials/{this}/link-options?q=LINKABLE {tag}").get_json()
    assert {item["id"] for item in body["items"]} == {str(own_draft), str(published)} and body["total"] == 2
    assert client.get(f"/editor/api/credentials/{this}/link-options?q=100%25").get_json()["items"] == []
    too_long = client.get(f"/editor/api/credentials/{this}/link-options?q={'x' * 201}")
    assert too_long.status_code == 400 and "at most" in too_long.get_json()["message"]


# --- the pure translation ----------------------------------------------------------------------


def test_custom_levels_get_their_index_in_the_final_scale():
    form = MultiDict([("scale", "None"), ("scale", "Beginner"), ("scale", "Novice"), ("scale", "Intermediate"),
                      ("scale", "Advanced"), ("scale", "Expert"), ("custom_level", "Beginner"),
                      ("new_level_name", "Master"), ("new_level_after", "Expert")])
    payload = forms.skills_payload(form)["skills"]
    assert payload["custom_levels"] == [{"name": "Beginner", "position": 1}, {"name": "Master", "position": 6}]
    from catalog.authoring.levels import merged_scale

    assert merged_scale([(c["name"], c["position"]) for c in payload["custom_levels"]]) == [
        "None", "Beginner", "Novice", "Intermediate", "Advanced", "Expert", "Master"]


def test_blank_and_removed_program_fieldsets_are_left_out():
    form = MultiDict({"programs-0-id": "7", "programs-0-name": "Kept", "programs-1-name": "Gone",
                      "programs-1-remove": "1", "programs-2-duration.unit": "weeks"})
    assert [(p.get("id"), p["name"]) for p in forms.programs_payload(form)["programs"]] == [(7, "Kept")]


def test_error_keys_become_field_ids_and_sentences():
    assert forms.field_id("skills[1].min_level") == "f-skills-1-min_level"
    assert forms.field_id("cost.amount") == "f-cost-amount"
    summary = forms.error_summary({"programs[0].url": "must be a web address", "cip_codes": "unknown CIP code(s): 1"})
    assert summary == [
        {"key": "programs[0].url", "id": "f-programs-0-url", "text": "Program 1 web address must be a web address."},
        {"key": "cip_codes", "id": "f-cip_codes", "text": "CIP codes: unknown CIP code(s): 1."}]

