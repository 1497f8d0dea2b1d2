"""`catalog orgs|users|tokens` through click's runner against the run's real database."""
from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from store.db import session_scope
from store.models import ApiToken
from catalog.accounts import service as accounts
from cli import main


@pytest.fixture()
def catalog(app):
    runner = CliRunner()
    info = app.config["SETTINGS"]

    def run(*args: str, input: str | None = None):
        return runner.invoke(main, list(args), obj=info, input=input)

    return run


def unique(tag: str) -> str:
    return f"{tag} {uuid.uuid4().hex[:8]}"


def test_orgs_create_and_list(catalog, database):
    name = unique("Cascade Nursing Board")
    created = catalog("orgs", "create", "--name", name, "--kind", "issuer", "--kind", "verifier",
                      "--website", "https://cascade.example.org", "--location", "Salem, OR")
    assert created.exit_code == 0, created.output
    assert created.output.startswith("created organization #") and "[issuer, verifier]" in created.output
    with session_scope(database) as s:
        org = accounts.get_org(s, name)
        assert (org.kinds, org.website, org.location) == (["issuer", "verifier"], "https://cascade.example.org", "Salem, OR")

    assert name in catalog("orgs", "list").output
    duplicate = catalog("orgs", "create", "--name", name.upper(), "--kind", "issuer")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    bad_kind = catalog("orgs", "create", "--name", unique("X"), "--kind", "university")
    assert bad_kind.exit_code == 2 and "'university' is not one of" in bad_kind.output


def test_users_create_reads_the_password_from_stdin(catalog, database):
    org_name = unique("Metro Electricians")
    catalog("orgs", "create", "--name", org_name, "--kind", "issuer")
    address = f"cli-{uuid.uuid4().hex[:8]}@Example.org"
    created = catalog("users", "create", "--email", address, "--name", "Cli Admin", "--org", org_name,
                      "--role", "admin", input="a long enough password\n")
    assert created.exit_code == 0, created.output
    assert f"{address.lower()}, admin of {org_name}" in created.output
    with session_scope(database) as s:
        user = accounts.get_user(s, address)
        assert user.role_in(accounts.get_org(s, org_name).id) == "admin" and not user.is_platform_admin
    # The web login accepts exactly the line that was piped in.
    from catalog.accounts.passwords import verify_password

    assert verify_password(user.password_hash, "a long enough password")[0]

    duplicate = catalog("users", "create", "--email", address.upper(), input="another password!\n")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    short = catalog("users", "create", "--email", f"s-{uuid.uuid4().hex[:8]}@example.org", input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    no_password = catalog("users", "create", "--email", f"n-{uuid.uuid4().hex[:8]}@example.org", input="")
    assert no_password.exit_code == 1 and "no password on standard input" in no_password.output
    orphan = f"u-{uuid.uuid4().hex[:8]}@example.org"
    unknown_org = catalog("users", "create", "--email", orphan, "--org", "No Such Org",
                          input="a long enough password\n")
    assert unknown_org.exit_code == 1 and "no organization 'No Such Org'" in unknown_org.output
    with session_scope(database) as s:  # a failed command leaves nothing behind
        assert accounts.find_user(s, orphan) is None


def test_users_grant_roles_and_platform_admin(catalog, database):
    org_name = unique("Valley Verifiers")
    catalog("orgs", "create", "--name", org_name, "--kind", "verifier")
    address = f"grant-{uuid.uuid4().hex[:8]}@example.org"
    catalog("users", "create", "--email", address, input="a long enough password\n")
    with session_scope(database) as s:
        org_id = accounts.get_org(s, org_name).id

    granted = catalog("users", "grant", "--email", address, "--org", str(org_id), "--role", "admin", "--platform-admin")
    assert granted.exit_code == 0, granted.output
    assert granted.output.strip() == f"{address} is now admin of {org_name} and platform admin"
    with session_scope(database) as s:
        user = accounts.get_user(s, address)
        assert user.is_platform_admin and user.role_in(org_id) == "admin"

    assert catalog("users", "grant", "--email", "nobody@example.org", "--org", org_name).exit_code == 1
    bad_role = catalog("users", "grant", "--email", address, "--org", org_name, "--role", "owner")
    assert bad_role.exit_code == 2
    nothing = catalog("users", "grant", "--email", address)
    assert nothing.exit_code == 2 and "--platform-admin" in nothing.output
    last_admin = catalog("users", "grant", "--email", address, "--org", org_name, "--role", "editor")
    assert last_admin.exit_code == 1 and "only admin" in last_admin.output


def test_tokens_create_prints_the_token_once_and_revoke(catalog, database, app):
    address = f"tok-{uuid.uuid4().hex[:8]}@example.org"
    catalog("users", "create", "--email", address, input="a long enough password\n")
    created = catalog("tokens", "create", "--user", address, "--label", "ci upload")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("cc_") and "\n" not in token  # stdout is the token alone: TOKEN=$(catalog ...)
    with session_scope(database) as s:
        row = s.scalars(select(ApiToken).where(ApiToken.token_hash == accounts.hash_token(token))).one()
        assert row.label == "ci upload" and row.revoked_at is None
        token_id = row.id

    client = app.test_client()
    assert client.get("/account", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    revoked = catalog("tokens", "revoke", "--id", str(token_id))
    assert revoked.exit_code == 0 and f"revoked token #{token_id} of {address}" in revoked.output
    refused = client.get("/account", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.json["message"] == "the API token was revoked"

    assert catalog("tokens", "create", "--user", "nobody@example.org").exit_code == 1
    missing = catalog("tokens", "revoke", "--id", "987654321")
    assert missing.exit_code == 1 and "no API token with id 987654321" in missing.output
