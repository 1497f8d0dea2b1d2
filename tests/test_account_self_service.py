"""What a person does with their own account, through the Flask test client and real services:
API tokens, a password reset by mail through a real SMTP server (aiosmtpd on a private port),
a password change, leaving an organization and deleting the account.

The app here sends mail to the module's SMTP server; messages are parsed with the `email`
package and the reset link in them is followed as a person would.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from store.db import session_scope
from store.models import ApiToken, Credential, Membership, Note, PasswordReset, RevisionEntry, User, utcnow
from catalog.accounts import resets
from catalog.accounts import service as accounts
from catalog.authoring import service as authoring
from tests.support.mail import mail_to, mails_to, reset_link, with_mail_server

PASSWORD = "correct horse battery"
NEW_PASSWORD = "staple battery horse correct"


@pytest.fixture(scope="module")
def web_app(settings, database, mail_server):
    from webapp import create_app

    return create_app(with_mail_server(settings, mail_server), TESTING=True, WTF_CSRF_ENABLED=False)


def person(database_url: str, tag: str = "person", org_role: str | None = None) -> str:
    address = f"{tag}-{uuid.uuid4().hex[:10]}@example.org"
    with session_scope(database_url) as s:
        user = accounts.create_user(s, address, PASSWORD, name=tag.title())
        if org_role:
            accounts.grant(s, user, accounts.create_org(s, f"Org {uuid.uuid4().hex[:8]}", ["issuer"]), org_role)
    return address


def logged_in(web_app, address: str, password: str = PASSWORD):
    client = web_app.test_client()
    response = client.post("/login", data={"email": address, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def page(response) -> str:
    return response.get_data(as_text=True)


def test_tokens_page_shows_a_new_token_once_and_revokes_only_ones_own(web_app, database):
    owner = person(database, "owner", org_role="editor")
    client = logged_in(web_app, owner)
    created = client.post("/account/tokens", data={"label": "nightly import", "expires_in": "30"})
    assert created.status_code == 201
    secret = created.get_data(as_text=True).split('id="new-token-value"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert secret.startswith(accounts.TOKEN_PREFIX)
    assert created.headers["Cache-Control"] == "no-store"
    api = web_app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/editor/credentials", headers=bearer).status_code == 200
    # Shown once: the list names the token and says when it expires, never its secret again.
    listed = page(client.get("/account/tokens"))
    assert "nightly import" in listed and secret not in listed
    assert (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d") in listed
    # A token cannot manage tokens (nor the password, nor the account).
    for path in ("/account/tokens", "/account/password", "/account/delete"):
        assert api.get(path, headers=bearer).status_code == 403
    assert api.post("/account/tokens", headers=bearer, data={"label": "more"}).status_code == 403
    with session_scope(database) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.token_hash == accounts.hash_token(secret)))
    # Someone else's token looks exactly like a missing one.
    stranger = logged_in(web_app, person(database, "stranger"))
    assert stranger.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert api.get("/api/v1/editor/credentials", headers=bearer).status_code == 200
    revoked = client.post(f"/account/tokens/{token_id}/revoke", follow_redirects=True)
    assert "Revoked “nightly import”" in page(revoked)
    assert api.get("/api/v1/editor/credentials", headers=bearer).status_code == 401
    # A name is required; the form says so instead of making an anonymous token.
    unnamed = client.post("/account/tokens", data={"label": "", "expires_in": "90"})
    assert unnamed.status_code == 422 and "Name the token" in page(unnamed)


def test_a_password_reset_by_mail_works_once_and_ends_every_session(web_app, database, mail_server):
    address = person(database, "forgetful")
    elsewhere = logged_in(web_app, address)  # a session in another browser
    anonymous = web_app.test_client()
    asked = anonymous.post("/forgot-password", data={"email": address.upper()}, follow_redirects=True)
    assert "If an account uses that address" in page(asked)

    message = mail_to(mail_server, address)
    assert message["Subject"] == "Reset your Credential Catalog password"
    assert message["From"] == "Credential Catalog <no-reply@catalog.test>"
    link = reset_link(message)
    token = link.rsplit("/", 1)[1]
    with session_scope(database) as s:  # only a hash of the link's secret is stored
        assert s.scalar(select(PasswordReset).where(PasswordReset.token_hash == token)) is None
        assert s.scalar(select(PasswordReset).where(PasswordReset.token_hash == accounts.hash_token(token)))

    form = anonymous.get(link)
    assert form.status_code == 200 and address in page(form)
    too_common = anonymous.post(link, data={"password": "password123"})
    assert too_common.status_code == 422  # refused, and the link still works afterwards
    done = anonymous.post(link, data={"password": NEW_PASSWORD}, follow_redirects=True)
    assert "Your password is changed" in page(done)

    assert elsewhere.get("/account").status_code == 302  # that session ended
    assert web_app.test_client().post("/login", data={"email": address, "password": PASSWORD}).status_code == 401
    logged_in(web_app, address, NEW_PASSWORD)
    reused = anonymous.post(link, data={"password": "another fine passphrase"})
    assert reused.status_code == 410 and "not valid" in page(reused)
    assert web_app.test_client().get("/reset-password/pr_made-up").status_code == 410


def test_forgot_password_says_the_same_for_every_address_and_caps_mail_per_account(web_app, database, mail_server):
    address = person(database, "capped")
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    client = web_app.test_client()
    answers, shown = [], []
    for who in (unknown, address):
        answers.append(client.post("/forgot-password", data={"email": who}))
        shown.append(page(client.get(answers[-1].headers["Location"])))
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert shown[0] == shown[1]

    for _ in range(resets.RESETS_PER_HOUR + 1):
        assert client.post("/forgot-password", data={"email": address}).status_code == 303
    with session_scope(database) as s:
        links = s.scalars(select(PasswordReset).join(User).where(User.email == address)).all()
        assert len(links) == resets.RESETS_PER_HOUR
        # An expired link says so.
        s.execute(update(PasswordReset).where(PasswordReset.id == links[0].id)
                  .values(expires_at=utcnow() - timedelta(minutes=1)))
    mail_server.handler.wait_for(lambda _: len(mails_to(mail_server, address)) == resets.RESETS_PER_HOUR)
    assert not mails_to(mail_server, unknown)
    link_tokens = [reset_link(m).rsplit("/", 1)[1] for m in mails_to(mail_server, address)]
    expired = [t for t in link_tokens if accounts.hash_token(t) == links[0].token_hash][0]
    assert "expired" in page(client.get(f"/reset-password/{expired}"))
    assert client.post("/forgot-password", data={"email": "not an address"}).status_code == 422


def test_changing_the_password_needs_the_current_one_and_logs_out_other_sessions(web_app, database):
    address = person(database, "changer")
    here, elsewhere = logged_in(web_app, address), logged_in(web_app, address)
    wrong = here.post("/account/password", data={"current_password": "not my password", "new_password": NEW_PASSWORD})
    assert wrong.status_code == 422 and "not your current password" in page(wrong)
    changed = here.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 303
    assert here.get("/account").status_code == 200  # this session carries on
    assert elsewhere.get("/account").status_code == 302  # the other one ended
    logged_in(web_app, address, NEW_PASSWORD)


def test_leaving_an_organization_keeps_its_credentials_and_its_last_admin(web_app, database):
    admin = person(database, "admin", org_role="admin")
    with session_scope(database) as s:
        org = s.get(User, accounts.find_user(s, admin).id).memberships[0].organization
        editor = accounts.create_user(s, f"ed-{uuid.uuid4().hex[:8]}@example.org", PASSWORD, name="Ed")
        accounts.grant(s, editor, org, "editor")
        credential = authoring.create_credential(s, editor, org.id, {"name": "Forklift Operator", "credential_type": "certificate"})
        org_id, editor_email, credential_id = org.id, editor.email, credential.id
    as_admin = logged_in(web_app, admin)
    assert "Leave" in page(as_admin.get("/account"))
    refused = as_admin.post(f"/account/orgs/{org_id}/leave")
    assert refused.status_code == 409 and "only admin" in page(refused)
    as_editor = logged_in(web_app, editor_email)
    assert "stay as they are" in page(as_editor.get(f"/account/orgs/{org_id}/leave"))
    assert as_editor.post(f"/account/orgs/{org_id}/leave").status_code == 303
    assert as_editor.get(f"/account/orgs/{org_id}/leave").status_code == 404
    with session_scope(database) as s:
        assert s.get(Credential, credential_id).org_id == org_id


def test_deleting_an_account_keeps_the_credentials_it_wrote(web_app, database):
    admin = person(database, "sole-admin", org_role="admin")
    with session_scope(database) as s:
        user = accounts.find_user(s, admin)
        org = user.memberships[0].organization
        credential = authoring.create_credential(s, user, org.id, {"name": "Welding Basics", "credential_type": "certificate"})
        authoring.add_note(s, user, credential, "Check the hours with the college.")
        user_id, org_id, credential_id = user.id, org.id, credential.id
        accounts.create_token(s, user, "script")
        other = accounts.create_user(s, f"other-{uuid.uuid4().hex[:8]}@example.org", PASSWORD)
        accounts.grant(s, other, org, "editor")
    client = logged_in(web_app, admin)
    # The only admin of an organization with other members hands over first.
    blocked = client.post("/account/delete", data={"password": PASSWORD})
    assert blocked.status_code == 409 and "only admin" in page(blocked)
    with session_scope(database) as s:
        accounts.grant(s, s.get(User, other.id), s.get(User, user_id).memberships[0].organization, "admin")
    wrong = client.post("/account/delete", data={"password": "not my password"})
    assert wrong.status_code == 422
    deleted = client.post("/account/delete", data={"password": PASSWORD}, follow_redirects=True)
    assert "Your account is deleted" in page(deleted)
    assert client.get("/account").status_code == 302
    with session_scope(database) as s:
        assert s.get(User, user_id) is None
        assert not s.scalars(select(Membership).where(Membership.user_id == user_id)).all()
        assert not s.scalars(select(ApiToken).where(ApiToken.user_id == user_id)).all()
        kept = s.get(Credential, credential_id)
        assert kept.org_id == org_id and kept.name == "Welding Basics"
        assert [e.user_id for e in s.scalars(select(RevisionEntry).where(RevisionEntry.credential_id == credential_id))] == [None]
        assert [n.author_id for n in s.scalars(select(Note).where(Note.credential_id == credential_id))] == [None]
    assert web_app.test_client().post("/login", data={"email": admin, "password": PASSWORD}).status_code == 401


def test_reset_requests_are_rate_limited_per_client(settings, database):
    from webapp import create_app

    app = create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True,
                     PASSWORD_RESET_RATE_LIMIT="2/minute",
                     RATELIMIT_KEY_PREFIX=f"{settings.index_prefix}rl-{uuid.uuid4().hex[:6]}")
    client = app.test_client()
    asks = [client.post("/forgot-password", data={"email": f"n{i}@example.org"}).status_code for i in range(3)]
    assert asks == [303, 303, 429]
    assert client.get("/forgot-password").status_code == 200
