"""The editor's history page shows who changed what, with codes turned into labels."""
from __future__ import annotations


from store.db import session_scope
from store.models import Credential
from tests.test_editor_pages import log_in, make_org, make_person, text
from catalog.authoring import service
from webapp.editor.lookups import show_value


def test_history_names_codes_by_their_labels(client, settings):
    org_id = make_org(settings.database_url)
    editor = make_person(settings.database_url, org_id)
    with session_scope(settings.database_url) as s:
        credential = service.create_credential(s, None, org_id, {
            "name": "Surgical Technologist Certificate", "credential_type": "certificate",
            "delivery_mode": "in_person", "cip_codes": ["51.0909"]})
        service.save_section(s, None, credential, "occupations", ["29-2055.00"])
        service.save_section(s, None, credential, "skills", {"items": [
            {"skill_id": "2.A.1.a", "min_level": "None", "acquired_level": "Advanced"}]})
        credential_id = credential.id
    log_in(client, editor)
    page = text(client.get(f"/editor/credentials/{credential_id}/history"))
    assert "Surgical Technologists (29-2055.00)" in page
    assert "Reading Comprehension (2.A.1.a)" in page
    assert "Surgical Technology/Technologist (51.0909)" in page
    assert "In person" in page and "Certificate" in page
    with session_scope(settings.database_url) as s:
        assert s.get(Credential, credential_id).revision == 3


def test_show_value_leaves_unknown_codes_and_plain_text_alone():
    names = {("occupations", "29-1141.00"): "Registered Nurses"}
    assert show_value(["29-1141.00", "00-0000.00"], "occupations", names) == "Registered Nurses (29-1141.00); 00-0000.00"
    assert show_value("A name", "name", names) == "A name"
    assert show_value({"amount": "12.00", "currency": "USD"}, "cost") == "amount: 12.00, currency: USD"
    assert show_value([], "occupations") == "(empty)"


def test_one_save_of_a_tab_is_one_revision_and_one_history_entry(client, settings):
    """The Occupation and sector tab saves two service sections; a person made one save."""
    from tests.test_editor_pages import submit

    org_id = make_org(settings.database_url)
    editor = make_person(settings.database_url, org_id)
    with session_scope(settings.database_url) as s:
        credential = service.create_credential(s, None, org_id, {"name": "Truck Driver Training",
                                                                 "credential_type": "certificate"})
        credential_id, before = credential.id, credential.revision
    log_in(client, editor)
    url = f"/editor/credentials/{credential_id}/occupations"
    saved = submit(client, url, {"occupations": ["53-3032.00"], "sectors": ["484"]})
    assert saved.status_code == 303
    with session_scope(settings.database_url) as s:
        assert s.get(Credential, credential_id).revision == before + 1
        entries = service.history(s, s.get(Credential, credential_id))
    assert entries[0]["revision"] == before + 1
    assert set(entries[0]["changes"]) == {"occupations", "sectors"}
    page = text(client.get(f"/editor/credentials/{credential_id}/history"))
    assert "Heavy and Tractor-Trailer Truck Drivers (53-3032.00)" in page and "Truck Transportation (484)" in page
    # A later save of only one of the two sections still meets a conflict with this combined one.
    with session_scope(settings.database_url) as s:
        try:
            service.save_section(s, None, s.get(Credential, credential_id), "sectors", ["62"], before)
        except service.ConflictError:
            pass
        else:
            raise AssertionError("a save based on an older revision did not conflict with the combined entry")


def test_program_history_names_providers_and_lists_only_programs_that_changed(client, settings):
    from catalog.accounts import service as accounts

    org_id = make_org(settings.database_url)
    editor = make_person(settings.database_url, org_id)
    with session_scope(settings.database_url) as s:
        college = accounts.create_org(s, "Lakeside Community College", ["education_provider"])
        credential = service.create_credential(s, None, org_id, {"name": "CDL Class A", "credential_type": "license"})
        service.save_section(s, None, credential, "programs", [
            {"provider_org_id": college.id, "name": "CDL Day Program"},
            {"provider_name": "Road Ready School", "name": "CDL Evening Program"}])
        s.flush()
        day, evening = [p.id for p in credential.programs]
        service.save_section(s, None, credential, "programs", [
            {"id": day, "provider_org_id": college.id, "name": "CDL Day Program"},
            {"id": evening, "provider_name": "Road Ready School", "name": "CDL Weekend Program"}])
        credential_id = credential.id
    log_in(client, editor)
    page = text(client.get(f"/editor/credentials/{credential_id}/history"))
    assert "provider org id" not in page and "id: " not in page
    assert "Lakeside Community College" in page
    latest = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert "CDL Weekend Program" in latest and "CDL Evening Program" in latest
    assert "CDL Day Program" not in latest  # unchanged: neither removed nor added
