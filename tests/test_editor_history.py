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
