"""Accounts on the real database through the Flask test client: register, log in, ask for
authoring access, decide requests, manage members, and rename an organization.

Most tests use an app with CSRF switched off so they can post forms directly; the CSRF tests at
the end use the session's real app, where every form must carry its token.
"""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from store.db import session_scope
from store.models import AccessRequest, Credential, Membership, Organization, OutboxEvent, Program, User
from catalog.accounts import service as accounts


PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def web_app(settings, database):
    from webapp import create_app

    return create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False)


@pytest.fixture()
def web(web_app):
    return web_app.test_client()


def email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.org"


def make_user(database_url: str, tag: str = "user", platform_admin: bool = False) -> str:
    address = email(tag)
    with session_scope(database_url) as s:
        accounts.create_user(s, address, PASSWORD, name=tag.title(), platform_admin=platform_admin)
    return address


def make_org(database_url: str, kinds=("issuer",), admin: str | None = None) -> int:
    with session_scope(database_url) as s:
        org = accounts.create_org(s, f"Org {uuid.uuid4().hex[:8]}", list(kinds))
        if admin:
            accounts.grant(s, accounts.get_user(s, admin), org, "admin")
        return org.id


def log_in(client, address: str, password: str = PASSWORD):
    response = client.post("/login", data={"email": address, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', page)
    return match.group(1) if match else ""


# --- Register, log in, log out ----------------------------------------------------------------


def test_register_log_out_and_log_in_again(web, database):
    address = email("Reg").upper()
    response = web.post("/register", data={"name": "Rita Reg", "email": address, "password": PASSWORD})
    # Registering does not log in (a taken email gets the same answer; see test_registration.py).
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    log_in(web, address)

    page = text(web.get("/account"))
    assert "Rita Reg" in page and address.lower() in page  # stored normalized
    assert "Log out" in page and "My Credentials" not in page and ">Admin<" not in page

    assert web.post("/logout").status_code == 302
    page = text(web.get("/"))
    assert "Log in" in page and "Register" in page and "Log out" not in page
    assert web.get("/account").status_code == 302  # back to the login page

    wrong = web.post("/login", data={"email": address, "password": "not the password"})
    assert wrong.status_code == 401
    assert field_error(text(wrong), "password") == "Email or password is incorrect."
    assert log_in(web, address.lower()).headers["Location"] == "/account"


def test_registration_errors_are_shown_next_to_their_fields(web, database):
    short = web.post("/register", data={"name": "Short", "email": email(), "password": "123456789"})
    assert short.status_code == 422
    assert field_error(text(short), "password") == "Use at least 10 characters."

    bad = web.post("/register", data={"name": "Bad", "email": "not-an-email", "password": PASSWORD})
    assert bad.status_code == 422
    assert "valid email" in field_error(text(bad), "email")


def test_login_only_redirects_within_the_site(web, database):
    address = make_user(database)
    outside = web.post("/login", data={"email": address, "password": PASSWORD, "next": "//evil.example/x"})
    assert outside.headers["Location"] == "/account"
    web.post("/logout")
    inside = web.post("/login", data={"email": address, "password": PASSWORD, "next": "/access-request"})
    assert inside.headers["Location"] == "/access-request"


# --- Expanded access --------------------------------------------------------------------------


def test_new_organization_request_approved_by_a_platform_admin(web_app, database):
    requester, admin = web_app.test_client(), web_app.test_client()
    requester_email = make_user(database, "requester")
    log_in(requester, requester_email)
    log_in(admin, make_user(database, "padmin", platform_admin=True))
    name = f"Harbor Welding Institute {uuid.uuid4().hex[:6]}"

    sent = requester.post("/access-request", data={
        "mode": "new", "name": name, "kinds": ["issuer", "education_provider"],
        "website": "https://harbor.example.org", "location": "Tacoma, WA", "message": "We certify welders."})
    assert sent.status_code == 302
    again = requester.post("/access-request", data={"mode": "new", "name": name + " 2", "kinds": ["issuer"]})
    assert "already have a pending request" in text(again)  # the form is replaced by the notice
    assert "pending" in text(requester.get("/account"))

    queue = text(admin.get("/admin/access-requests"))
    assert name in queue and requester_email in queue and "We certify welders." in queue
    with session_scope(database) as s:
        request_id = s.scalar(select(AccessRequest.id).where(AccessRequest.proposed_name == name))
    decided = admin.post(f"/admin/access-requests/{request_id}",
                         data={"decision": "approve", "note": "Welcome aboard."})
    assert decided.status_code == 303
    review = text(admin.get("/admin/access-requests"))
    assert f"can now author credentials for {name}" in review
    assert re.search(rf'<a href="/orgs/\d+">{re.escape(name)}</a>', review)  # platform admins reach every org
    assert admin.post(f"/admin/access-requests/{request_id}", data={"decision": "reject"}).status_code == 409

    page = text(requester.get("/account"))
    assert "approved" in page and "Welcome aboard." in page
    assert re.search(r'<a href="/editor/">My Credentials</a>', page)
    with session_scope(database) as s:
        org = accounts.get_org(s, name)
        assert org.kinds == ["issuer", "education_provider"] and org.location == "Tacoma, WA"
        assert accounts.get_user(s, requester_email).role_in(org.id) == "admin"
        org_id = org.id
    assert requester.get(f"/orgs/{org_id}").status_code == 200  # they administer it now
    assert admin.get(f"/orgs/{org_id}").status_code == 200  # and so may a platform admin


def test_join_request_makes_the_requester_an_editor(web_app, database):
    requester, admin = web_app.test_client(), web_app.test_client()
    requester_email = make_user(database, "joiner")
    org_id = make_org(database, kinds=("verifier",))
    provider_only = make_org(database, kinds=("education_provider",))
    log_in(requester, requester_email)
    log_in(admin, make_user(database, "padmin", platform_admin=True))

    form = text(requester.get("/access-request"))
    assert f'value="{org_id}"' in form and f'value="{provider_only}"' not in form  # only authoring orgs
    empty = requester.post("/access-request", data={"mode": "join", "org_id": "0"})
    assert empty.status_code == 422 and field_error(text(empty), "org_id") == "Choose the organization to join."
    assert requester.post("/access-request", data={"mode": "join", "org_id": str(org_id)}).status_code == 302

    with session_scope(database) as s:
        request_id = s.scalar(select(AccessRequest.id).join(User, AccessRequest.user_id == User.id)
                              .where(User.email == requester_email))
    admin.post(f"/admin/access-requests/{request_id}", data={"decision": "approve", "note": ""})
    with session_scope(database) as s:
        assert accounts.get_user(s, requester_email).role_in(org_id) == "editor"
    assert "My Credentials" in text(requester.get("/account"))


def test_rejected_request_shows_the_note_and_grants_nothing(web_app, database):
    requester, admin = web_app.test_client(), web_app.test_client()
    requester_email = make_user(database, "rejected")
    log_in(requester, requester_email)
    log_in(admin, make_user(database, "padmin", platform_admin=True))
    requester.post("/access-request", data={"mode": "new", "name": f"Fly By Night {uuid.uuid4().hex[:6]}",
                                            "kinds": ["issuer"]})
    with session_scope(database) as s:
        access_request = s.scalars(select(AccessRequest).join(User, AccessRequest.user_id == User.id)
                                   .where(User.email == requester_email)).one()
        request_id, name = access_request.id, access_request.proposed_name
    admin.post(f"/admin/access-requests/{request_id}",
               data={"decision": "reject", "note": "We could not verify this organization."})

    page = text(requester.get("/account"))
    assert "rejected" in page and "We could not verify this organization." in page
    assert "My Credentials" not in page
    with session_scope(database) as s:
        assert accounts.find_org_by_name(s, name) is None
        assert accounts.get_user(s, requester_email).memberships == []
    # Once decided, the requester may try again.
    assert "Send request" in text(requester.get("/access-request"))


def test_access_request_form_explains_what_is_wrong(web, database):
    log_in(web, make_user(database))
    no_kind = web.post("/access-request", data={"mode": "new", "name": "Somewhere", "kinds": ["education_provider"]})
    assert no_kind.status_code == 422 and "issuer, verifier or both" in field_error(text(no_kind), "kinds")
    existing = make_org(database)
    with session_scope(database) as s:
        existing_name = s.get(Organization, existing).name
    taken = web.post("/access-request", data={"mode": "new", "name": existing_name.upper(), "kinds": ["issuer"]})
    assert taken.status_code == 409 and "ask to join it instead" in field_error(text(taken), "name")


def test_only_platform_admins_reach_the_review_page(web, database):
    assert web.get("/admin/access-requests").status_code == 302  # anonymous: to the login page
    log_in(web, make_user(database, "member"))
    assert web.get("/admin/access-requests").status_code == 403
    refused = web.post("/admin/access-requests/1", data={"decision": "approve"})
    assert refused.status_code == 403 and "Only platform admins" in text(refused)


# --- Managing an organization -----------------------------------------------------------------


def test_org_admin_manages_members(web_app, database):
    boss_email, helper_email = make_user(database, "boss"), make_user(database, "helper")
    org_id = make_org(database, kinds=("issuer",), admin=boss_email)
    boss, helper = web_app.test_client(), web_app.test_client()
    log_in(boss, boss_email)
    log_in(helper, helper_email)
    assert helper.get(f"/orgs/{org_id}").status_code == 403
    assert boss.get("/orgs/999999").status_code == 404

    unknown = boss.post(f"/orgs/{org_id}/members", data={"email": email("nobody"), "role": "editor"})
    assert unknown.status_code == 422 and "need to register first" in field_error(text(unknown), "email")
    added = boss.post(f"/orgs/{org_id}/members", data={"email": helper_email.upper(), "role": "editor"})
    assert added.status_code == 303
    assert helper_email in text(boss.get(f"/orgs/{org_id}"))
    assert "My Credentials" in text(helper.get("/account"))
    assert helper.get(f"/orgs/{org_id}").status_code == 403  # editors do not manage the org

    with session_scope(database) as s:
        boss_id, helper_id = (accounts.get_user(s, e).id for e in (boss_email, helper_email))
    only_admin = boss.post(f"/orgs/{org_id}/members/{boss_id}/role", data={f"m{boss_id}-role": "editor"})
    assert only_admin.status_code == 409 and "only admin" in text(only_admin)

    assert boss.post(f"/orgs/{org_id}/members/{helper_id}/role", data={f"m{helper_id}-role": "admin"}).status_code == 303
    assert helper.get(f"/orgs/{org_id}").status_code == 200
    # Now that helper is an admin too, boss may step down and lands on their account page.
    stepped_down = boss.post(f"/orgs/{org_id}/members/{boss_id}/remove")
    assert stepped_down.status_code == 303 and stepped_down.headers["Location"] == "/account"
    with session_scope(database) as s:
        roles = dict(s.execute(select(Membership.user_id, Membership.role).where(Membership.org_id == org_id)).all())
    assert roles == {helper_id: "admin"}


def test_renaming_an_org_requeues_every_published_credential_showing_its_name(web, database):
    admin_email = make_user(database, "renamer")
    org_id, other_org = make_org(database, admin=admin_email), make_org(database)
    with session_scope(database) as s:
        published = Credential(org_id=org_id, name="Published", status="published", revision=3)
        draft = Credential(org_id=org_id, name="Draft", status="draft")
        provided = Credential(org_id=other_org, name="Taught by us", status="published", revision=2)
        s.add_all([published, draft, provided])
        s.flush()
        s.add(Program(credential_id=provided.id, provider_org_id=org_id, name="Evening cohort"))
        ids = {"published": published.id, "draft": draft.id, "provided": provided.id}
        before = s.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(1)) or 0
    log_in(web, admin_email)
    new_name = f"Renamed Org {uuid.uuid4().hex[:6]}"
    saved = web.post(f"/orgs/{org_id}", data={"name": new_name, "kinds": ["issuer", "verifier"],
                                              "website": "https://renamed.example.org", "location": "Reno"})
    assert saved.status_code == 303
    assert "new name on 2 published credentials" in text(web.get(f"/orgs/{org_id}"))
    with session_scope(database) as s:
        events = s.execute(select(OutboxEvent.entity, OutboxEvent.entity_id, OutboxEvent.revision)
                           .where(OutboxEvent.id > before, OutboxEvent.entity_id.in_(ids.values()))).all()
        assert s.get(Organization, org_id).name == new_name
    assert sorted(events) == sorted([("credential", ids["published"], 3), ("credential", ids["provided"], 2)])

    bad = web.post(f"/orgs/{org_id}", data={"name": "", "kinds": [], "website": "not a url"})
    assert bad.status_code == 422
    page = text(bad)
    assert field_error(page, "name") and field_error(page, "kinds") and "full web address" in field_error(page, "website")


# --- CSRF on the real app ---------------------------------------------------------------------


def test_a_form_post_without_its_csrf_token_is_rejected(client, database):
    address = email("csrf")
    refused = client.post("/register", data={"name": "No Token", "email": address, "password": PASSWORD})
    assert refused.status_code == 400
    assert "CSRF token is missing" in text(refused)
    with session_scope(database) as s:
        assert accounts.find_user(s, address) is None

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(client.get("/register"))).group(1)
    accepted = client.post("/register", data={"name": "With Token", "email": address, "password": PASSWORD,
                                              "csrf_token": token})
    assert accepted.status_code == 303
    assert client.post("/login", data={"email": address, "password": PASSWORD, "csrf_token": token}).status_code == 302
    # Logging out is a POST too: without the token it is refused and the session survives.
    assert client.post("/logout").status_code == 400
    assert "Log out" in text(client.get("/account"))


def test_login_attempts_are_rate_limited_per_address(settings, database):
    """Password guessing meets a 429 page after LOGIN_RATE_LIMIT POSTs; reading the form does not."""
    from webapp import create_app

    app = create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True,
                     LOGIN_RATE_LIMIT="3/minute",
                     RATELIMIT_KEY_PREFIX=f"{settings.index_prefix}rl-{uuid.uuid4().hex[:6]}")
    client = app.test_client()
    attempts = [client.post("/login", data={"email": "nobody@example.org", "password": "wrong-password"})
                for _ in range(3)]
    assert all(a.status_code == 401 for a in attempts)
    blocked = client.post("/login", data={"email": "nobody@example.org", "password": "wrong-password"})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0
    assert client.get("/login").status_code == 200
