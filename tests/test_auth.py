"""Who is asking and what they may do: API tokens, Bearer requests, CSRF exemption, cookies,
and the permission helpers the editor and the authoring API share."""
from __future__ import annotations

import re
import uuid

import pytest
from argon2 import PasswordHasher
from flask import Blueprint, jsonify

from store.db import session_scope
from store.models import ApiToken, Membership, Organization, User
from catalog.accounts import service as accounts
from webapp.accounts.views import safe_next
from webapp.auth import (
    BearerRejected,
    authenticate_api,
    authoring_memberships,
    can_edit_org,
    can_manage_org,
    current_actor,
    is_org_admin,
    user_from_bearer,
)
from catalog.accounts.passwords import hash_password, verify_password


PASSWORD = "correct horse battery"


# --- Pure helpers -----------------------------------------------------------------------------


def member_of(*orgs_and_roles, platform_admin=False) -> User:
    user = User(id=1, email="someone@example.org", password_hash="-", is_platform_admin=platform_admin)
    user.memberships = [Membership(org_id=org.id, role=role, organization=org) for org, role in orgs_and_roles]
    return user


ISSUER = Organization(id=1, name="Issuer", kinds=["issuer"])
VERIFIER = Organization(id=2, name="Verifier", kinds=["verifier", "education_provider"])
PROVIDER = Organization(id=3, name="College", kinds=["education_provider"])


def test_authoring_memberships_count_only_issuing_and_verifying_organizations():
    user = member_of((ISSUER, "editor"), (VERIFIER, "admin"), (PROVIDER, "admin"))
    assert [m.org_id for m in authoring_memberships(user)] == [1, 2]
    assert authoring_memberships(member_of((PROVIDER, "admin"))) == []
    assert authoring_memberships(member_of(platform_admin=True)) == []  # "My Credentials" needs a membership
    assert authoring_memberships(None) == []


def test_can_edit_org_for_members_and_platform_admins_only():
    user = member_of((ISSUER, "editor"), (VERIFIER, "admin"))
    assert can_edit_org(user, 1) and can_edit_org(user, 2)
    assert not can_edit_org(user, 3)
    assert can_edit_org(member_of(platform_admin=True), 3)
    assert not can_edit_org(None, 1)


def test_org_admin_and_manage_rights():
    user = member_of((ISSUER, "editor"), (VERIFIER, "admin"))
    assert not is_org_admin(user, 1) and is_org_admin(user, 2)
    assert not can_manage_org(user, 1) and can_manage_org(user, 2)
    platform = member_of(platform_admin=True)
    assert not is_org_admin(platform, 1) and can_manage_org(platform, 1)


@pytest.mark.parametrize("target, expected", [
    ("/editor/", "/editor/"), ("/account?tab=1", "/account?tab=1"), ("//evil.example", None),
    ("https://evil.example/", None), ("/\\evil.example", None), ("", None), (None, None), ("javascript:x", None),
])
def test_safe_next_keeps_redirects_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_passwords_are_argon2id_and_upgraded_when_parameters_change():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, PASSWORD) == (True, None)
    assert verify_password(stored, "wrong password") == (False, None)
    assert verify_password(None, PASSWORD) == (False, None)
    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    ok, fresh = verify_password(weak, PASSWORD)
    assert ok and fresh and fresh != weak and verify_password(fresh, PASSWORD) == (True, None)


# --- Tokens on the real database --------------------------------------------------------------


def make_user_with_token(database_url: str, label: str = "test") -> tuple[int, int, str]:
    with session_scope(database_url) as s:
        user = accounts.create_user(s, f"api-{uuid.uuid4().hex[:10]}@example.org", PASSWORD)
        row, token = accounts.create_token(s, user, label)
        return user.id, row.id, token


def test_only_the_tokens_hash_is_stored(database):
    _user_id, token_id, token = make_user_with_token(database)
    assert token.startswith("cc_") and len(token) > 40
    with session_scope(database) as s:
        row = s.get(ApiToken, token_id)
        assert row.token_hash == accounts.hash_token(token) and token not in row.token_hash


def test_user_from_bearer(app, database):
    user_id, token_id, token = make_user_with_token(database)
    with app.test_request_context("/"):
        assert user_from_bearer(f"Bearer {token}").id == user_id
    with session_scope(database) as s:
        assert s.get(ApiToken, token_id).last_used_at is not None

    for header, reason in [(None, "send an API token"), ("Basic abc", "must be `Bearer <token>`"),
                           ("Bearer", "must be `Bearer <token>`"), ("Bearer cc_garbage", "not valid")]:
        with app.test_request_context("/"), pytest.raises(BearerRejected, match=reason):
            user_from_bearer(header)

    with session_scope(database) as s:
        accounts.revoke_token(s, token_id)
    with app.test_request_context("/"), pytest.raises(BearerRejected, match="revoked"):
        user_from_bearer(f"Bearer {token}")


@pytest.fixture(scope="module")
def api_app(settings, database):
    """The real app (CSRF on) plus a tiny API blueprint guarded the way the authoring API is."""
    from webapp import create_app

    app = create_app(settings, TESTING=True)
    probe = authenticate_api(Blueprint("probe_api", __name__, url_prefix="/test-api"))

    @probe.route("/whoami", methods=["GET", "POST"])
    def whoami():
        return jsonify(email=current_actor().email)

    app.register_blueprint(probe)
    return app


def test_bearer_requests_act_as_the_tokens_user_without_csrf(api_app, database):
    client = api_app.test_client()
    user_id, token_id, token = make_user_with_token(database)
    with session_scope(database) as s:
        address = s.get(User, user_id).email
    bearer = {"Authorization": f"Bearer {token}"}

    assert client.get("/test-api/whoami", headers=bearer).json == {"email": address}
    posted = client.post("/test-api/whoami", headers=bearer, json={"x": 1})  # no CSRF token needed
    assert posted.status_code == 200 and posted.json == {"email": address}

    anonymous = client.post("/test-api/whoami", json={})
    assert anonymous.status_code == 400  # no token, so CSRF applies first
    missing = client.get("/test-api/whoami")
    assert missing.status_code == 401 and missing.json["error"] == "unauthorized"
    garbage = client.post("/test-api/whoami", headers={"Authorization": "Bearer cc_nope"})
    assert garbage.status_code == 401
    assert garbage.json == {"error": "unauthorized", "message": "the API token is not valid"}
    assert garbage.headers["WWW-Authenticate"].startswith("Bearer")

    with session_scope(database) as s:
        accounts.revoke_token(s, token_id)
    revoked = client.get("/test-api/whoami", headers=bearer)
    assert revoked.status_code == 401 and revoked.json["message"] == "the API token was revoked"


def test_a_bearer_request_ignores_the_session_cookie(api_app, database):
    """Otherwise a request could skip CSRF with any Bearer header and act as the cookie's user."""
    client = api_app.test_client()
    page = client.get("/register").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    cookie_email = f"cookie-{uuid.uuid4().hex[:10]}@example.org"
    client.post("/register", data={"name": "Cookie", "email": cookie_email, "password": PASSWORD, "csrf_token": csrf})
    client.post("/login", data={"email": cookie_email, "password": PASSWORD, "csrf_token": csrf})
    assert client.get("/test-api/whoami").json == {"email": cookie_email}  # the session works for the API

    token_user_id, _token_id, token = make_user_with_token(database)
    as_token = client.get("/test-api/whoami", headers={"Authorization": f"Bearer {token}"})
    with session_scope(database) as s:
        assert as_token.json == {"email": s.get(User, token_user_id).email}
    refused = client.post("/logout", headers={"Authorization": "Bearer cc_forged"})
    assert refused.status_code == 401
    assert client.get("/test-api/whoami").json == {"email": cookie_email}  # still logged in


def test_session_cookie_is_httponly_lax_and_secure_over_https(api_app, database):
    for base_url, secure in (("http://localhost", False), ("https://localhost", True)):
        client = api_app.test_client()
        response = client.get("/register", base_url=base_url)  # rendering the CSRF token starts a session
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure, cookie

