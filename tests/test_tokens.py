"""API tokens: an optional expiry, `catalog tokens list` and `revoke`, and a cheap last-used time.

The CLI runs through click's runner on the run's real database; Bearer requests go through the
real app. The migration that adds the expiry column is run forward and back on a fresh database.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select

from store.db import get_engine, session_scope
from store.migrate import alembic_config, upgrade
from store.models import ApiToken, User, utcnow
from catalog.accounts import service as accounts

PASSWORD = "correct horse battery"


@pytest.fixture()
def catalog(app):
    from cli import main

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), obj=app.config["SETTINGS"], input=input)

    return run


@pytest.fixture()
def person(database) -> str:
    address = f"tok-{uuid.uuid4().hex[:8]}@example.org"
    with session_scope(database) as s:
        accounts.create_user(s, address, PASSWORD)
    return address


def token_row(database_url: str, token: str) -> ApiToken:
    with session_scope(database_url) as s:
        return s.scalars(select(ApiToken).where(ApiToken.token_hash == accounts.hash_token(token))).one()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- expiry --------------------------------------------------------------------------------------


def test_expires_in_sets_an_expiry_that_many_days_ahead(catalog, database, person):
    before = utcnow()
    created = catalog("tokens", "create", "--user", person, "--expires-in", "90d")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("cc_") and "\n" not in token  # stdout stays the token alone
    row = token_row(database, token)
    assert before + timedelta(days=90) <= row.expires_at <= utcnow() + timedelta(days=90)
    assert f"expires {row.expires_at:%Y-%m-%d %H:%M} UTC" in created.stderr


@pytest.mark.parametrize("value, delta", [("12h", timedelta(hours=12)), ("2w", timedelta(weeks=2)),
                                          ("1d", timedelta(days=1))])
def test_expires_in_takes_hours_days_and_weeks(catalog, database, person, value, delta):
    before = utcnow()
    token = catalog("tokens", "create", "--user", person, "--expires-in", value).stdout.strip()
    assert before + delta <= token_row(database, token).expires_at <= utcnow() + delta


def test_expires_on_a_date_means_from_midnight_utc(catalog, database, person):
    created = catalog("tokens", "create", "--user", person, "--expires", "2099-01-31")
    assert created.exit_code == 0, created.output
    assert token_row(database, created.stdout.strip()).expires_at == datetime(2099, 1, 31)


@pytest.mark.parametrize("args, message", [
    (("--expires-in", "0d"), "at least 1"),
    (("--expires-in", "90x"), "like 90d, 12h or 2w"),
    (("--expires-in", "9" * 30 + "d"), "at most"),
    (("--expires", "2000-01-01"), "in the future"),
    (("--expires", "31/01/2099"), "YYYY-MM-DD"),
    (("--expires", "2099-01-31", "--expires-in", "90d"), "not both"),
])
def test_bad_expiry_options_are_refused_with_a_reason(catalog, database, person, args, message):
    refused = catalog("tokens", "create", "--user", person, *args)
    assert refused.exit_code == 2, refused.output
    assert message in refused.output
    with session_scope(database) as s:
        user = accounts.get_user(s, person)
        assert s.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []


def test_an_expired_token_answers_401_saying_it_expired(app, database, person):
    with session_scope(database) as s:
        row, token = accounts.create_token(s, accounts.get_user(s, person), "soon",
                                           expires_at=utcnow() + timedelta(hours=1))
        token_id = row.id
    client = app.test_client()
    assert client.get("/api/v1/editor/credentials", headers=bearer(token)).status_code in (200, 403)
    with session_scope(database) as s:  # an hour later
        s.get(ApiToken, token_id).expires_at = utcnow() - timedelta(seconds=1)
    refused = client.get("/api/v1/editor/credentials", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json["error"] == "unauthorized" and "expired" in refused.json["message"]
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_service_refuses_an_expiry_in_the_past(db_session, person):
    with pytest.raises(accounts.Invalid, match="in the future"):
        accounts.create_token(db_session, accounts.get_user(db_session, person), expires_at=utcnow())
    db_session.rollback()


# --- list and revoke -----------------------------------------------------------------------------


def test_tokens_list_shows_every_token_but_never_its_secret(catalog, database, person):
    kept = catalog("tokens", "create", "--user", person, "--label", "ci upload", "--expires", "2099-01-31")
    dropped = catalog("tokens", "create", "--user", person, "--label", "old laptop")
    kept_token, dropped_token = kept.stdout.strip(), dropped.stdout.strip()
    kept_id, dropped_id = token_row(database, kept_token).id, token_row(database, dropped_token).id
    assert catalog("tokens", "revoke", "--id", str(dropped_id)).exit_code == 0

    listed = catalog("tokens", "list", "--user", person)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["ID", "USER", "LABEL", "CREATED", "LAST", "USED", "EXPIRES", "STATUS"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {f"#{kept_id}", f"#{dropped_id}"}
    assert person in rows[f"#{kept_id}"] and "ci upload" in rows[f"#{kept_id}"]
    assert "2099-01-31 00:00" in rows[f"#{kept_id}"] and "never" in rows[f"#{kept_id}"]
    assert rows[f"#{kept_id}"].rstrip().endswith("active")
    assert "revoked" in rows[f"#{dropped_id}"]
    for secret in (kept_token, dropped_token, token_row(database, kept_token).token_hash):
        assert secret not in listed.output

    everyone = catalog("tokens", "list")
    assert everyone.exit_code == 0 and f"#{kept_id}" in everyone.output
    nobody = catalog("tokens", "list", "--user", "nobody@example.org")
    assert nobody.exit_code == 1 and "no registered user" in nobody.output


def test_an_expired_token_is_listed_as_expired(catalog, database, person):
    with session_scope(database) as s:
        row, _token = accounts.create_token(s, accounts.get_user(s, person), "lapsed",
                                            expires_at=utcnow() + timedelta(hours=1))
        token_id = row.id
    with session_scope(database) as s:
        s.get(ApiToken, token_id).expires_at = utcnow() - timedelta(days=1)
    line = next(line for line in catalog("tokens", "list", "--user", person).output.splitlines()
                if line.startswith(f"#{token_id} "))
    assert line.rstrip().endswith("expired")


def test_revoking_twice_says_when_it_was_revoked(catalog, database, person):
    token = catalog("tokens", "create", "--user", person).stdout.strip()
    token_id = token_row(database, token).id
    first = catalog("tokens", "revoke", "--id", str(token_id))
    assert first.exit_code == 0 and f"revoked token #{token_id} of {person}" in first.output
    revoked_at = token_row(database, token).revoked_at
    again = catalog("tokens", "revoke", "--id", str(token_id))
    assert again.exit_code == 0 and "already revoked" in again.output
    assert token_row(database, token).revoked_at == revoked_at  # the first time stands
    huge = catalog("tokens", "revoke", "--id", "99999999999999999999")
    assert huge.exit_code == 1 and "no API token with id 99999999999999999999" in huge.output


# --- last used -----------------------------------------------------------------------------------


def test_last_used_is_written_at_most_once_a_minute(app, database, person):
    with session_scope(database) as s:
        row, token = accounts.create_token(s, accounts.get_user(s, person), "busy script")
        token_id = row.id
    client = app.test_client()
    assert token_row(database, token).last_used_at is None
    client.get("/account", headers=bearer(token))
    first = token_row(database, token).last_used_at
    assert first is not None
    for _ in range(5):
        client.get("/account", headers=bearer(token))
    assert token_row(database, token).last_used_at == first  # no write per request

    with session_scope(database) as s:  # as if the last use was two minutes ago
        s.get(ApiToken, token_id).last_used_at = first - timedelta(minutes=2)
    client.get("/account", headers=bearer(token))
    assert token_row(database, token).last_used_at > first - timedelta(minutes=2)


# --- the migration ---------------------------------------------------------------------------------


def test_the_expiry_column_is_added_and_dropped_keeping_tokens(settings, tmp_path):
    from tests.conftest import throwaway_database

    with throwaway_database(tmp_path, "tokens_migration") as url:
        upgrade(url, "0004")
        engine = get_engine(url)
        with engine.connect() as conn:
            assert "expires_at" in {c["name"] for c in sa.inspect(conn).get_columns("api_tokens")}
        with engine.begin() as conn:
            conn.execute(sa.insert(User.__table__).values(id=1, email="m@example.org", name="", password_hash="x",
                                                          is_platform_admin=False, created_at=utcnow()))
            conn.execute(sa.insert(ApiToken.__table__).values(id=1, user_id=1, token_hash="h" * 64, label="kept",
                                                              created_at=utcnow(), expires_at=datetime(2099, 1, 31)))
        command.downgrade(alembic_config(url), "0004-1")
        with engine.connect() as conn:
            assert "expires_at" not in {c["name"] for c in sa.inspect(conn).get_columns("api_tokens")}
            assert conn.execute(sa.text("SELECT label FROM api_tokens")).scalars().all() == ["kept"]
        upgrade(url, "0004")
        engine.dispose()
