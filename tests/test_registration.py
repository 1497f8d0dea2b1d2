"""Registration without account enumeration, rate-limited, with common passwords refused (ASVS
V2.1.7) and long passphrases welcome; the CLI applies the same password rules."""
from __future__ import annotations

import re
import uuid

import pytest
from click.testing import CliRunner

from store.db import session_scope
from catalog.accounts import passwords
from catalog.accounts import service as accounts
from catalog.accounts.passwords import verify_password

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def web_app(settings, database):
    from webapp import create_app

    return create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False)


def email(tag: str = "reg") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.org"


def register(client, address: str, password: str = PASSWORD, name: str = "Rita Reg"):
    return client.post("/register", data={"name": name, "email": address, "password": password})


def field_error(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}-error"[^>]*>([^<]*)<', page)
    return match.group(1) if match else ""


# --- the same answer whether or not the email is registered -------------------------------------


def test_a_taken_email_gets_exactly_the_answer_a_new_one_gets(web_app, database):
    taken = email("taken")
    with session_scope(database) as s:
        accounts.create_user(s, taken, PASSWORD, name="Original Owner")
        before = accounts.find_user(s, taken).password_hash

    answers = {}
    for kind, address in (("new", email("new")), ("taken", taken)):
        client = web_app.test_client()
        response = register(client, address, password="a different passphrase", name="Someone Else")
        landing = client.get(response.headers["Location"])
        answers[kind] = (response.status_code, response.headers["Location"], landing.status_code,
                         landing.get_data(as_text=True))
    assert answers["new"] == answers["taken"]
    assert answers["new"][:3] == (303, "/login", 200)
    assert "Log in with your email and password" in answers["new"][3]

    with session_scope(database) as s:  # the existing account is not changed in any way
        owner = accounts.find_user(s, taken)
        assert (owner.name, owner.password_hash) == ("Original Owner", before)


def test_a_new_account_logs_in_with_the_password_it_registered(web_app, database):
    address = email()
    client = web_app.test_client()
    assert register(client, address.upper()).status_code == 303
    assert client.get("/account").status_code == 302  # not logged in by registering
    response = client.post("/login", data={"email": address, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def test_the_service_leaves_an_existing_account_alone(db_session):
    address = email("svc")
    user = accounts.create_user(db_session, address, PASSWORD)
    db_session.commit()
    assert accounts.register_user(db_session, address.upper(), "another long passphrase", "Mallory") is None
    db_session.commit()
    db_session.refresh(user)
    assert verify_password(user.password_hash, PASSWORD)[0] and user.name == ""
    created = accounts.register_user(db_session, email("svc"), "another long passphrase", "Nina")
    assert created is not None and created.name == "Nina"
    db_session.rollback()


# --- rate limit ------------------------------------------------------------------------------------


def test_registration_attempts_are_rate_limited(settings, database):
    from webapp import create_app

    app = create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True,
                     REGISTER_RATE_LIMIT="2/minute",
                     RATELIMIT_KEY_PREFIX=f"{settings.index_prefix}rl-{uuid.uuid4().hex[:6]}")
    client = app.test_client()
    assert [register(client, email()).status_code for _ in range(2)] == [303, 303]
    blocked = register(client, email())
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert client.get("/register").status_code == 200  # reading the form is not an attempt


def test_registration_has_a_default_limit(web_app):
    assert web_app.config["REGISTER_RATE_LIMIT"]


# --- passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "Password123", "PASSWORD123",
                                      "baseball2024!", "Dragon1234567!"])
def test_common_passwords_are_refused_on_the_form(web_app, database, password):
    address = email()
    response = register(web_app.test_client(), address, password=password)
    assert response.status_code == 422
    assert "too common" in field_error(response.get_data(as_text=True), "password")
    with session_scope(database) as s:
        assert accounts.find_user(s, address) is None


@pytest.mark.parametrize("length", [64, 128, 1000])
def test_long_passphrases_are_accepted_and_log_in(web_app, database, length):
    address = email("long")
    password = ("pass phrase with spaces " * 50)[:length]
    client = web_app.test_client()
    assert register(client, address, password=password).status_code == 303
    assert client.post("/login", data={"email": address, "password": password}).status_code == 302


def test_a_password_past_the_maximum_is_refused_with_its_limit(web_app):
    response = register(web_app.test_client(), email(), password="x" * (passwords.MAX_PASSWORD_LENGTH + 1))
    assert response.status_code == 422
    assert f"at most {passwords.MAX_PASSWORD_LENGTH}" in field_error(response.get_data(as_text=True), "password")


def test_the_form_allows_at_least_128_characters():
    assert passwords.MAX_PASSWORD_LENGTH >= 128


def test_the_cli_applies_the_same_password_rules(app, database):
    from cli import main

    runner = CliRunner()
    common = runner.invoke(main, ["users", "create", "--email", email("cli")], obj=app.config["SETTINGS"],
                           input="qwertyuiop\n")
    assert common.exit_code == 1 and "too common" in common.output
    long_one = runner.invoke(main, ["users", "create", "--email", email("cli")], obj=app.config["SETTINGS"],
                             input="y" * 200 + "\n")
    assert long_one.exit_code == 0, long_one.output


def test_password_problem_is_a_pure_check():
    assert passwords.password_problem("correct horse battery") is None
    assert passwords.password_problem("short") == f"use at least {passwords.MIN_PASSWORD_LENGTH} characters"
    assert "too common" in passwords.password_problem("1234567890")
    assert "too common" in passwords.password_problem("Football!!2024")  # a top password with a suffix
    assert passwords.password_problem("football is a fine sport") is None
    assert len(passwords.common_passwords()) == 10_000


def test_demo_and_test_passwords_are_not_common():
    for password in ("demo-password-1", "correct horse battery", "a long enough password", "another password!"):
        assert passwords.password_problem(password) is None, password
