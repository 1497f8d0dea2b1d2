"""Account self-service in headless Chromium against the live app: the API tokens page (create,
see the token once, revoke) and a password reset through a real local SMTP server (aiosmtpd):
ask on the form, receive the mail, follow its link, set a password, log in with it.

Nothing here depends on the database engine, so the PostgreSQL run skips it: the same flows run
there through the test client (tests/test_account_self_service.py).
"""
from __future__ import annotations

import uuid

import pytest
import requests
from playwright.sync_api import expect

from store.db import session_scope
from catalog.accounts import service as accounts
from tests.conftest import BACKEND, LiveServer
from tests.support.mail import mail_to, reset_link, with_mail_server

from tests.support.accessibility import assert_accessible
from tests.support.browser import log_in as log_in_through_form

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(BACKEND == "postgres", reason="browser flows over the same service code as on SQLite")]

PASSWORD = "correct horse battery"
NEW_PASSWORD = "lantern orchard velvet"


@pytest.fixture(scope="module")
def site(settings, database, mail_server):
    from webapp import create_app

    app = create_app(with_mail_server(settings, mail_server), TESTING=True)
    with LiveServer(app) as server:
        yield server


def make_editor(database_url: str, tag: str) -> str:
    address = f"{tag}-{uuid.uuid4().hex[:8]}@example.org"
    with session_scope(database_url) as s:
        user = accounts.create_user(s, address, PASSWORD, name=tag.title())
        accounts.grant(s, user, accounts.create_org(s, f"Org {uuid.uuid4().hex[:8]}", ["issuer"]), "editor")
    return address


def log_in(page, url: str, address: str, password: str = PASSWORD) -> None:
    log_in_through_form(page, url, address, password)
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def test_the_token_page_shows_a_new_token_once_and_revokes_it(page, site, database):
    log_in(page, site.url, make_editor(database, "tokens"))
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    page.get_by_label("Name").fill("nightly import")
    page.get_by_label("Expires after").select_option("30")
    assert_accessible(page, "the token page, empty")
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    assert_accessible(page, "the token page showing a new token")
    token = page.get_by_role("textbox", name="Token").input_value()
    assert token.startswith(accounts.TOKEN_PREFIX)
    api = f"{site.url}/api/v1/editor/credentials"
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(api, headers=bearer, timeout=10).status_code == 200

    # Once: opening the page again lists the token by name, without its secret.
    page.goto(f"{site.url}/account/tokens")
    row = page.get_by_role("row", name="nightly import")
    expect(row).to_contain_text("active")
    assert token not in page.content()
    row.get_by_role("button", name="Revoke nightly import").click()
    expect(page.locator(".flash")).to_contain_text("Revoked “nightly import”")
    expect(page.get_by_role("row", name="nightly import")).to_contain_text("revoked")
    assert_accessible(page, "the token page after revoking")
    assert requests.get(api, headers=bearer, timeout=10).status_code == 401


def test_a_password_reset_through_the_local_mail_server(page, site, database, mail_server):
    address = make_editor(database, "reset")
    page.goto(f"{site.url}/login")
    page.get_by_role("link", name="Forgot your password?").click()
    assert_accessible(page, "the forgot-password form")
    page.get_by_label("Email").fill(address)
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".flash")).to_contain_text("If an account uses that address")
    assert_accessible(page, "the login page saying the link is on its way")

    message = mail_to(mail_server, address)
    assert message["Subject"] == "Reset your Credential Catalog password"
    link = reset_link(message)
    assert link.startswith(site.url)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password").fill("password123")  # too common: refused beside the field
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator(".field-error")).to_be_visible()
    assert_accessible(page, "the reset form with an error")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.locator(".flash")).to_contain_text("Your password is changed")

    log_in(page, site.url, address, NEW_PASSWORD)
    # The link was used up.
    page.goto(link)
    expect(page.locator(".form-problem")).to_contain_text("not valid")
    assert_accessible(page, "a used reset link")
