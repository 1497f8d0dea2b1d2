"""Hostile numbers and unknown paths through the real app: a clear 4xx every time, never a 500.

An id in a URL is matched by the app's one `id` converter (webapp/converters.py): 1..MAX_ID, else
the route does not match and the answer is 404, in JSON on API paths and as a page elsewhere.
Page numbers, form revisions and ids inside forms or JSON get a 400 (or a field error) that says
what was wrong. The found-by-review cases are listed in issue 15.
"""
from __future__ import annotations

import uuid

import pytest

from store.db import session_scope
from store.models import MAX_ID, AccessRequest, Organization
from catalog.accounts import service as accounts
from tests.support.factories import make_credential


PASSWORD = "correct horse battery"
HUGE = "99999999999999999999"  # past 64 bits: PostgreSQL cannot even bind it, SQLite overflows
DIGITS_5000 = "9" * 5000  # past Python's int() digit limit (4300)
OUT_OF_RANGE = [HUGE, str(MAX_ID + 1), DIGITS_5000, "0"]


@pytest.fixture(scope="module")
def web_app(settings, database):
    from webapp import create_app

    return create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False)


@pytest.fixture(scope="module")
def people(database):
    """An issuer with an editor and a draft, and a platform admin."""
    tag = uuid.uuid4().hex[:8]
    with session_scope(database) as s:
        org = accounts.create_org(s, f"Bounds Org {tag}", ["issuer"])
        editor = accounts.create_user(s, f"bounds-editor-{tag}@example.org", PASSWORD)
        admin = accounts.create_user(s, f"bounds-admin-{tag}@example.org", PASSWORD, platform_admin=True)
        accounts.grant(s, editor, org, "admin")
        org_id, editor_email, admin_email = org.id, editor.email, admin.email
    credential_id = make_credential(database, org_id, publish=False, name=f"Bounds draft {tag}")
    return {"org": org_id, "editor": editor_email, "admin": admin_email, "credential": credential_id,
            "database": database}


def logged_in(web_app, address: str):
    client = web_app.test_client()
    response = client.post("/login", data={"email": address, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture()
def editor(web_app, people):
    return logged_in(web_app, people["editor"])


@pytest.fixture()
def admin(web_app, people):
    return logged_in(web_app, people["admin"])


# --- ids in paths: the converter ------------------------------------------------------------------


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
@pytest.mark.parametrize("path", ["/editor/credentials/{}", "/editor/credentials/{}/details",
                                  "/editor/credentials/{}/history"])
def test_editor_pages_with_out_of_range_ids_are_404_pages(editor, path, raw):
    response = editor.get(path.format(raw))
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "not found" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
def test_a_post_to_an_out_of_range_tab_is_404(editor, raw):
    assert editor.post(f"/editor/credentials/{raw}/details", data={"revision": "1"}).status_code == 404


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
def test_link_options_with_an_out_of_range_id_is_404_json(editor, raw):
    response = editor.get(f"/editor/api/credentials/{raw}/link-options?q=nurse")
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
def test_organization_pages_with_out_of_range_ids_are_404(admin, raw):
    assert admin.get(f"/orgs/{raw}").status_code == 404
    assert admin.post(f"/orgs/{raw}", data={"name": "x", "kinds": "issuer"}).status_code == 404
    assert admin.post(f"/orgs/{raw}/members", data={"email": "a@example.org"}).status_code == 404
    assert admin.post(f"/orgs/1/members/{raw}/remove").status_code == 404


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
def test_deciding_an_out_of_range_access_request_is_404(admin, raw):
    response = admin.post(f"/admin/access-requests/{raw}", data={"decision": "approve"})
    assert response.status_code == 404


@pytest.mark.parametrize("raw", OUT_OF_RANGE + ["abc", "1.0", "-1"])
def test_public_credential_page_and_api_with_bad_ids_are_404(client, database, raw):
    page = client.get(f"/credentials/{raw}")
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get(f"/api/v1/credentials/{raw}")
    assert api.status_code == 404 and api.json["error"] == "not_found"


@pytest.mark.parametrize("raw", OUT_OF_RANGE)
def test_authoring_api_with_out_of_range_ids_is_404_json(web_app, people, raw):
    client = logged_in(web_app, people["editor"])
    for method, path in (("GET", "/api/v1/editor/credentials/{}"), ("GET", "/api/v1/editor/credentials/{}/history"),
                         ("PATCH", "/api/v1/editor/credentials/{}"), ("POST", "/api/v1/editor/credentials/{}/publish")):
        response = client.open(path.format(raw), method=method, json={"revision": 1})
        assert response.status_code == 404, (method, path)
        assert response.json["error"] == "not_found"


def test_in_range_ids_still_reach_their_views(editor, people):
    credential_id = people["credential"]
    assert editor.get(f"/editor/credentials/{credential_id}/details").status_code == 200
    assert editor.get(f"/editor/credentials/{MAX_ID}/details").status_code == 404  # the view's own 404
    assert "Credential not found" in editor.get(f"/editor/credentials/{MAX_ID}/details").get_data(as_text=True)


# --- page numbers and numbers inside forms -------------------------------------------------------


@pytest.mark.parametrize("page", ["9223372036854775807", HUGE, DIGITS_5000, "abc", "0", "-1"])
def test_my_credentials_refuses_a_page_it_cannot_show(editor, page):
    response = editor.get(f"/editor/?page={page}")
    assert response.status_code == 400
    assert "page must be a whole number from 1 to" in response.get_data(as_text=True)


def test_my_credentials_pages_in_range_work(editor):
    assert editor.get("/editor/?page=1").status_code == 200
    assert editor.get("/editor/?page=100000").status_code == 200  # past the end: an empty page


@pytest.mark.parametrize("page", [DIGITS_5000, HUGE])
def test_authoring_api_refuses_a_huge_page(web_app, people, page):
    client = logged_in(web_app, people["editor"])
    response = client.get(f"/api/v1/editor/credentials?page={page}")
    assert response.status_code == 400 and response.json["fields"].keys() == {"page"}


@pytest.mark.parametrize("revision", [DIGITS_5000, HUGE, "²", "1.5", ""])
def test_a_form_revision_that_is_no_revision_is_400(editor, people, revision):
    response = editor.post(f"/editor/credentials/{people['credential']}/details",
                           data={"name": "Renamed", "revision": revision})
    assert response.status_code == 400
    assert "revision" in response.get_data(as_text=True)


@pytest.mark.parametrize("raw", [DIGITS_5000, HUGE, "²"])
def test_huge_numbers_in_form_rows_are_field_errors(editor, people, raw):
    url = f"/editor/credentials/{people['credential']}/"
    revision = str(_revision(people))
    related = editor.post(url + "related", data={"revision": revision, "rel_kind": "related",
                                                 "rel_credential_id": raw, "rel_cip": "", "rel_type": "",
                                                 "rel_name": ""})
    assert related.status_code == 422, related.get_data(as_text=True)[:500]
    programs = editor.post(url + "programs", data={"revision": revision, "programs-0-id": raw,
                                                   "programs-0-provider_org_id": raw,
                                                   "programs-0-name": "Evening cohort"})
    assert programs.status_code == 422, programs.get_data(as_text=True)[:500]
    index = editor.post(url + "programs", data={"revision": revision, f"programs-{raw}-name": "Evening cohort",
                                                f"programs-{raw}-provider_name": "City College"})
    assert index.status_code in (303, 422)


def _revision(people) -> int:
    from store.models import Credential

    with session_scope(people["database"]) as s:
        return s.get(Credential, people["credential"]).revision


@pytest.mark.parametrize("raw", [HUGE, DIGITS_5000, f"{HUGE},12", "-5,abc"])
def test_link_options_ignore_excluded_ids_that_cannot_exist(editor, people, raw):
    response = editor.get(f"/editor/api/credentials/{people['credential']}/link-options?q=nurse&exclude={raw}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "items" in response.json


def test_an_access_request_naming_a_huge_organization_is_a_field_error(web_app, database):
    with session_scope(database) as s:
        address = accounts.create_user(s, f"asker-{uuid.uuid4().hex[:8]}@example.org", PASSWORD).email
    client = logged_in(web_app, address)
    response = client.post("/access-request", data={"mode": "join", "org_id": HUGE})
    assert response.status_code == 404  # as for any organization that is not in the catalog
    assert "not in the catalog" in response.get_data(as_text=True)
    with session_scope(database) as s:
        user = accounts.find_user(s, address)
        assert s.query(AccessRequest).filter_by(user_id=user.id).count() == 0


@pytest.mark.parametrize("vocabulary", ["credentials", "occupations"])
@pytest.mark.parametrize("raw", [HUGE, DIGITS_5000, "x" * 600])
def test_autocomplete_with_huge_excluded_ids_still_answers(client, indices, vocabulary, raw):
    response = client.get(f"/api/v1/autocomplete/{vocabulary}?q=nurse&exclude={raw}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "items" in response.json


# --- unknown API paths and wrong methods answer JSON ---------------------------------------------


def test_an_unknown_api_path_is_404_json(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.json["error"] == "not_found" and response.json["message"]


def test_a_wrong_method_on_the_api_is_405_json_with_allow(client):
    response = client.post("/api/v1/search", json={})
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert response.json["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_an_unknown_editor_api_path_is_404_json(editor):
    response = editor.get("/editor/api/nope")
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.json["error"] == "not_found"


def test_an_unknown_page_is_still_an_html_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"


# --- a related credential_id must be a whole number ----------------------------------------------


@pytest.mark.parametrize("value", [1.5, "1.5", True, 1.0, " 7", "٣"])
def test_a_related_credential_id_that_is_not_a_whole_number_is_refused(web_app, people, value):
    client = logged_in(web_app, people["editor"])
    target = make_credential(people["database"], people["org"], publish=False, name="Link target")
    # Aim at a real id, so rounding (1.5 -> 1) or bool (True -> 1) could land on a credential.
    if isinstance(value, float):
        value = target + 0.5 if value == 1.5 else float(target)
    response = client.patch(f"/api/v1/editor/credentials/{people['credential']}",
                            json={"revision": _revision(people), "related": [{"credential_id": value}]})
    assert response.status_code == 400, response.json
    assert "related[0].credential_id" in response.json["fields"]


def test_an_in_range_whole_number_still_links(web_app, people):
    client = logged_in(web_app, people["editor"])
    target = make_credential(people["database"], people["org"], publish=False, name="Link target")
    for value in (target, str(target)):
        response = client.patch(f"/api/v1/editor/credentials/{people['credential']}",
                                json={"revision": _revision(people), "related": [{"credential_id": value}]})
        assert response.status_code == 200, response.json
        assert response.json["related"] == [{"kind": "related", "credential_id": target}]


def test_the_access_request_org_exists_for_the_happy_path(web_app, database):
    """The join form still works for a real organization (the range check is not too strict)."""
    with session_scope(database) as s:
        org = accounts.create_org(s, f"Joinable {uuid.uuid4().hex[:8]}", ["issuer"])
        address = accounts.create_user(s, f"joiner-{uuid.uuid4().hex[:8]}@example.org", PASSWORD).email
        org_id = org.id
    client = logged_in(web_app, address)
    response = client.post("/access-request", data={"mode": "join", "org_id": str(org_id)})
    assert response.status_code == 302
    with session_scope(database) as s:
        assert s.get(Organization, org_id) is not None
