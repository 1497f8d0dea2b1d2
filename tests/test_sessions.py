"""Login sessions an attacker cannot forge or replay.

- Outside development and tests the app refuses to start without a long, private SECRET_KEY:
  a key anyone can read (the old code default, the old compose default) lets anyone sign a
  session cookie for any user, a platform admin included.
- A session names the user *and* the user's session version, which is kept in the database.
  Logging out and changing the password bump the version, so a cookie copied before either
  opens nothing afterwards, wherever it is replayed from.
"""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from catalog.accounts import service as accounts
from store.db import session_scope
from store.models import User
from store.settings import KNOWN_PUBLIC_SECRET_KEYS, ConfigurationError, Settings, secret_key_problem

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
# The two keys that shipped in public files before this check existed.
OLD_DEFAULT_KEYS = ("dev-only-not-secret", "change-me-in-production")


def make_user(database_url: str, tag: str, *, platform_admin: bool = False, editor: bool = False) -> tuple[int, str]:
    address = f"{tag}-{uuid.uuid4().hex[:10]}@example.org"
    with session_scope(database_url) as s:
        user = accounts.create_user(s, address, PASSWORD, name=tag, platform_admin=platform_admin)
        if editor:
            org = accounts.create_org(s, f"Sessions Org {uuid.uuid4().hex[:8]}", ["issuer"])
            accounts.grant(s, user, org, "editor")
        return user.id, address


def signed_session(key: str, data: dict) -> str:
    """A session cookie value as Flask would sign it with `key` (what an attacker can do offline)."""
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(data)


# --- the secret key ---------------------------------------------------------------------------


@pytest.mark.parametrize("public_key", [None, *OLD_DEFAULT_KEYS], ids=["unset", *OLD_DEFAULT_KEYS])
def test_a_session_forged_with_a_public_key_opens_nothing(database, monkeypatch, public_key):
    admin_id, _ = make_user(database, "forged-admin", platform_admin=True)
    # Started the way production starts it: webapp/wsgi.py calls create_app() on the environment.
    monkeypatch.delenv("CATALOG_ENV", raising=False)
    if public_key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", public_key)
    from webapp import create_app

    try:
        app = create_app()
    except ConfigurationError as refused:
        assert "SECRET_KEY" in str(refused) and "secrets.token_hex(32)" in str(refused)
        return
    forged = SecureCookieSessionInterface().get_signing_serializer(app).dumps({"_user_id": str(admin_id),
                                                                              "_fresh": True})
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], forged)
    status = client.get("/admin/access-requests").status_code
    pytest.fail(f"the app started in production with a public SECRET_KEY ({public_key!r}) "
                f"and a forged platform-admin cookie answered {status}")


@pytest.mark.parametrize("key, problem", [
    (None, "not set"), ("", "not set"), ("x" * 31, "too short"),
    *((key, "public") for key in KNOWN_PUBLIC_SECRET_KEYS),
])
def test_production_names_what_is_wrong_with_the_key(key, problem):
    message = secret_key_problem(key, "production")
    assert problem in message and "secrets.token_hex(32)" in message and "CATALOG_ENV=development" in message


def test_development_and_tests_accept_any_key_and_production_a_long_private_one():
    assert secret_key_problem(secrets.token_hex(32), "production") is None
    assert secret_key_problem("x" * 32, "production") is None
    for environment in ("development", "test"):
        assert secret_key_problem(None, environment) is None
        assert secret_key_problem("dev-only-not-secret", environment) is None


def test_catalog_env_must_be_a_known_environment(monkeypatch):
    monkeypatch.setenv("CATALOG_ENV", "prod")
    with pytest.raises(ConfigurationError, match="CATALOG_ENV.*production, development or test"):
        Settings.from_env()


def test_the_code_has_no_default_key():
    assert Settings().secret_key == "" and Settings().environment == "production"


def test_an_app_forged_cookie_signed_with_another_key_is_ignored(app, database):
    admin_id, _ = make_user(database, "other-key-admin", platform_admin=True)
    client = app.test_client()
    for key in OLD_DEFAULT_KEYS:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"],
                          signed_session(key, {"_user_id": f"{admin_id}:1", "_fresh": True}))
        answer = client.get("/admin/access-requests")
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_make_dev_keeps_one_private_key_under_instance(tmp_path):
    script = ROOT / "scripts" / "instance-secret-key"
    env = {**os.environ, "INSTANCE_DIR": str(tmp_path / "instance")}
    first = subprocess.run([script], env=env, capture_output=True, text=True, check=True)
    again = subprocess.run([script], env=env, capture_output=True, text=True, check=True)
    key = first.stdout.strip()
    assert key == again.stdout.strip() and len(key) == 64 and int(key, 16) >= 0
    assert "made a new SECRET_KEY" in first.stderr and again.stderr == ""
    kept = tmp_path / "instance" / "secret_key"
    assert kept.read_text().strip() == key and kept.stat().st_mode & 0o777 == 0o600
    assert secret_key_problem(key, "production") is None
    assert "scripts/instance-secret-key" in (ROOT / "scripts" / "dev").read_text()


def _production_env(**changes: str | None) -> dict[str, str]:
    env = {**os.environ, "CATALOG_ENV": "production"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                             "webapp.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_gunicorn_refuses_to_boot_without_a_private_key(database):
    from tests.support.services import free_port

    for key in (None, "change-me-in-production"):
        server = _gunicorn(_production_env(SECRET_KEY=key), free_port())
        try:
            _, stderr = server.communicate(timeout=60)
        finally:
            server.kill()
        assert server.returncode != 0, stderr
        assert "SECRET_KEY" in stderr and "secrets.token_hex(32)" in stderr, stderr


@pytest.mark.slow
def test_gunicorn_boots_with_a_private_key(database):
    from tests.support.services import free_port

    port = free_port()
    server = _gunicorn(_production_env(SECRET_KEY=secrets.token_hex(32)), port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                if requests.get(f"http://127.0.0.1:{port}/login", timeout=10).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still busy booting
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.communicate(timeout=30)


# --- session versions -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web_app(settings, database):
    from webapp import create_app

    return create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False)


def logged_in(web_app, address: str, password: str = PASSWORD):
    client = web_app.test_client()
    response = client.post("/login", data={"email": address, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def session_cookie(web_app, client) -> str:
    return client.get_cookie(web_app.config["SESSION_COOKIE_NAME"]).value


def replay(web_app, cookie: str, path: str = "/editor/"):
    """The saved cookie sent from somewhere else: a fresh client that has nothing but it."""
    thief = web_app.test_client()
    thief.set_cookie(web_app.config["SESSION_COOKIE_NAME"], cookie)
    return thief.get(path)


def test_a_cookie_saved_before_logout_no_longer_opens_the_editor(web_app, database):
    _, address = make_user(database, "logout", editor=True)
    browser = logged_in(web_app, address)
    assert browser.get("/editor/").status_code == 200
    saved = session_cookie(web_app, browser)
    assert replay(web_app, saved).status_code == 200  # the copy works while the session lives

    assert browser.post("/logout").status_code == 302
    after = replay(web_app, saved)
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    # Logging in again gives a new, working session.
    assert logged_in(web_app, address).get("/editor/").status_code == 200


def test_a_password_change_ends_every_session(web_app, database):
    user_id, address = make_user(database, "pwchange", editor=True)
    laptop, phone = logged_in(web_app, address), logged_in(web_app, address)
    saved = session_cookie(web_app, laptop)
    assert replay(web_app, saved).status_code == 200

    with session_scope(database) as s:
        accounts.change_password(s, s.get(User, user_id), "a brand new passphrase")
    for client in (laptop, phone):
        assert client.get("/editor/").status_code == 302
    assert replay(web_app, saved).status_code == 302
    failed = web_app.test_client().post("/login", data={"email": address, "password": PASSWORD})
    assert failed.status_code == 401
    assert logged_in(web_app, address, "a brand new passphrase").get("/editor/").status_code == 200


def test_a_session_without_the_version_is_refused(web_app, database):
    user_id, _ = make_user(database, "unversioned", editor=True)
    client = web_app.test_client()
    for stored in (str(user_id), f"{user_id}:", f"{user_id}:x", f"{user_id}:2", "x:1", f"{10**30}:1"):
        with client.session_transaction() as session:
            session["_user_id"] = stored
        assert client.get("/editor/").status_code == 302, stored


def test_change_password_checks_the_new_password(database):
    user_id, _ = make_user(database, "short")
    with session_scope(database) as s, pytest.raises(accounts.Invalid, match="at least"):
        accounts.change_password(s, s.get(User, user_id), "short")


def test_catalog_users_set_password_ends_the_users_sessions(web_app, database):
    from click.testing import CliRunner

    from cli import main

    _, address = make_user(database, "cli-reset", editor=True)
    saved = session_cookie(web_app, logged_in(web_app, address))
    result = CliRunner().invoke(main, ["users", "set-password", "--email", address],
                                obj=web_app.config["SETTINGS"], input="reset by the operator\n")
    assert result.exit_code == 0, result.output
    assert "signed out of every session" in result.output
    assert replay(web_app, saved).status_code == 302
    assert logged_in(web_app, address, "reset by the operator").get("/editor/").status_code == 200


@pytest.mark.db  # no database fixture, but make test should run it on PostgreSQL too
def test_migration_0003_gives_existing_users_version_1_and_downgrades(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from store.migrate import alembic_config, upgrade
    from tests.conftest import throwaway_database

    with throwaway_database(tmp_path, "migration0003") as url:
        upgrade(url, "0002")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (email, name, password_hash, is_platform_admin, created_at) "
                              "VALUES ('old@example.org', 'Old', 'x', false, CURRENT_TIMESTAMP)"))
        upgrade(url, "0003")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT session_version FROM users")).scalar_one() == 1
        command.downgrade(alembic_config(url), "0002")
        assert "session_version" not in {c["name"] for c in inspect(engine).get_columns("users")}
        engine.dispose()
