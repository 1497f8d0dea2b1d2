"""`catalog orgs|users|tokens`: set up organizations, people and API tokens from a shell.

Each command is one transaction through `catalog.accounts.service`, prints one line, and exits 1 with
a one-line `Error: ...` when the change cannot be made (unknown org or user, duplicate email,
last admin), or 2 for a bad option such as an unknown role.
"""
from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from datetime import datetime, timedelta

import click

from catalog.accounts import service as accounts
from cli.context import settings
from store.db import session_scope
from store.models import utcnow

ROLE = click.Choice(accounts.ROLES)
KIND = click.Choice(accounts.KINDS)
# Only a sanity bound (a typo such as 90000d); tokens without an expiry are allowed anyway.
MAX_TOKEN_LIFETIME = timedelta(days=36500)


@contextmanager
def transaction(write: bool = True):
    """A unit of work whose AccountErrors become one-line CLI errors."""
    with session_scope(settings().database_url, write=write) as session:
        try:
            yield session
        except accounts.AccountError as exc:
            raise click.ClickException(exc.message) from exc


def read_password() -> str:
    """One line from stdin (`echo pw | catalog users create ...`), or a hidden prompt in a terminal."""
    if sys.stdin is not None and sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    password = (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")
    if not password:
        raise click.ClickException(
            "no password on standard input; pipe one line, e.g. `echo 'pw' | catalog users create ...`")
    return password


def describe(org) -> str:
    return f"#{org.id} {org.name} [{', '.join(org.kinds)}]"


# --- organizations ----------------------------------------------------------------------------


@click.group("orgs")
def orgs() -> None:
    """Organizations: issuers, verifiers and education providers."""


@orgs.command("create")
@click.option("--name", required=True)
@click.option("--kind", "kinds", type=KIND, multiple=True, required=True, help="Repeat for several kinds.")
@click.option("--website", default="")
@click.option("--location", default="")
def orgs_create(name: str, kinds: tuple[str, ...], website: str, location: str) -> None:
    """Create an organization."""
    with transaction() as session:
        org = accounts.create_org(session, name, list(kinds), website, location)
        line = f"created organization {describe(org)}"
    click.echo(line)


@orgs.command("list")
def orgs_list() -> None:
    """List organizations with their members' count."""
    with transaction(write=False) as session:
        lines = [f"{describe(org)}  {len(accounts.members(session, org))} members"
                 for org in accounts.list_orgs(session)]
    click.echo("\n".join(lines) if lines else "no organizations yet; add one with `catalog orgs create`")


# --- users ------------------------------------------------------------------------------------


@click.group("users")
def users() -> None:
    """People: accounts, roles in organizations, platform admins."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--org", "org_ref", help="Organization id or name to add the user to.")
@click.option("--role", type=ROLE, help="Role in --org (default editor).")
@click.option("--platform-admin", is_flag=True, help="May review access requests and manage every organization.")
def users_create(email: str, name: str, org_ref: str | None, role: str | None, platform_admin: bool) -> None:
    """Create a user; the password is read from standard input."""
    if role and not org_ref:
        raise click.UsageError("--role needs --org")
    password = read_password()
    with transaction() as session:
        org = accounts.get_org(session, org_ref) if org_ref else None
        user = accounts.create_user(session, email, password, name, platform_admin=platform_admin)
        if org is not None:
            accounts.grant(session, user, org, role or "editor")
        line = f"created user #{user.id} {user.email}" + (f", {role or 'editor'} of {org.name}" if org else "") \
            + (", platform admin" if platform_admin else "")
    click.echo(line)


@users.command("grant")
@click.option("--email", required=True)
@click.option("--org", "org_ref", help="Organization id or name.")
@click.option("--role", type=ROLE, help="Role in --org (default editor).")
@click.option("--platform-admin", is_flag=True, help="Also make the user a platform admin.")
def users_grant(email: str, org_ref: str | None, role: str | None, platform_admin: bool) -> None:
    """Give a user a role in an organization, and/or make them a platform admin."""
    if not org_ref and not platform_admin:
        raise click.UsageError("give --org ORG [--role admin|editor], --platform-admin, or both")
    if role and not org_ref:
        raise click.UsageError("--role needs --org")
    with transaction() as session:
        user = accounts.get_user(session, email)
        done = []
        if org_ref:
            org = accounts.get_org(session, org_ref)
            accounts.grant(session, user, org, role or "editor")
            done.append(f"{role or 'editor'} of {org.name}")
        if platform_admin:
            user.is_platform_admin = True
            done.append("platform admin")
        line = f"{user.email} is now {' and '.join(done)}"
    click.echo(line)


@users.command("set-password")
@click.option("--email", required=True)
def users_set_password(email: str) -> None:
    """Give a user a new password (read from standard input) and end all of their sessions."""
    password = read_password()
    with transaction() as session:
        user = accounts.get_user(session, email)
        accounts.change_password(session, user, password)
        line = f"new password for {user.email}; they were signed out of every session"
    click.echo(line)


# --- API tokens -------------------------------------------------------------------------------


@click.group("tokens")
def tokens() -> None:
    """API tokens for the authoring API (sent as `Authorization: Bearer <token>`)."""


class Lifetime(click.ParamType):
    """--expires-in: a whole number of hours, days or weeks ("12h", "90d", "2w")."""

    name = "lifetime"
    UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
    PATTERN = re.compile(r"([0-9]+)([hdw])")

    def convert(self, value, param, ctx) -> timedelta:
        if isinstance(value, timedelta):
            return value
        found = self.PATTERN.fullmatch(str(value).strip().lower())
        if not found:
            self.fail(f"{value!r} is not a lifetime; write it like 90d, 12h or 2w (hours, days, weeks)", param, ctx)
        digits, unit = found[1].lstrip("0"), self.UNITS[found[2]]
        if not digits:
            self.fail("give at least 1 hour, day or week", param, ctx)
        # Digits counted before int(): thousands of them would be refused by int() itself.
        if len(digits) > 6 or int(digits) * unit > MAX_TOKEN_LIFETIME:
            self.fail(f"a token may live at most {MAX_TOKEN_LIFETIME.days} days; revoke and renew it instead", param, ctx)
        return int(digits) * unit


class ExpiryDate(click.ParamType):
    """--expires: a date, YYYY-MM-DD; the token stops working at 00:00 UTC that day."""

    name = "date"

    def convert(self, value, param, ctx) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            day = datetime.strptime(str(value).strip(), "%Y-%m-%d")
        except ValueError:
            self.fail(f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-01-31", param, ctx)
        if day <= utcnow():
            self.fail(f"{day:%Y-%m-%d} has passed; give a date in the future", param, ctx)
        if day - utcnow() > MAX_TOKEN_LIFETIME:
            self.fail(f"a token may live at most {MAX_TOKEN_LIFETIME.days} days; revoke and renew it instead", param, ctx)
        return day


def _when(value: datetime | None, empty: str = "never") -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else empty


@tokens.command("create")
@click.option("--user", "email", required=True, help="Email of the user the token acts as.")
@click.option("--label", default="", help="What the token is for, to recognize it later.")
@click.option("--expires-in", "lifetime", type=Lifetime(), help="Stop working after this long: 90d, 12h, 2w.")
@click.option("--expires", "expiry_date", type=ExpiryDate(),
              help="Stop working from 00:00 UTC on this date (YYYY-MM-DD).")
def tokens_create(email: str, label: str, lifetime: timedelta | None, expiry_date: datetime | None) -> None:
    """Create a token and print it once: only its hash is stored. Without an expiry it works until revoked."""
    if lifetime is not None and expiry_date is not None:
        raise click.UsageError("give --expires-in or --expires, not both")
    expires_at = utcnow() + lifetime if lifetime is not None else expiry_date
    with transaction() as session:
        user = accounts.get_user(session, email)
        row, token = accounts.create_token(session, user, label, expires_at=expires_at)
        token_id = row.id
    until = f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ", no expiry"
    click.echo(f"token #{token_id} for {user.email}{until} (shown once, store it now):", err=True)
    click.echo(token)


@tokens.command("list")
@click.option("--user", "email", help="Only this user's tokens.")
def tokens_list(email: str | None) -> None:
    """List tokens: id, user, label, created, last used, expiry and status. Never the token itself."""
    with transaction(write=False) as session:
        user = accounts.get_user(session, email) if email else None
        now = utcnow()
        rows = [(f"#{row.id}", row.user.email, row.label or "-", _when(row.created_at), _when(row.last_used_at),
                 _when(row.expires_at), _status(row, now)) for row in accounts.list_tokens(session, user)]
    if not rows:
        click.echo("no API tokens yet; create one with `catalog tokens create --user EMAIL`")
        return
    header = ("ID", "USER", "LABEL", "CREATED", "LAST USED", "EXPIRES", "STATUS")
    widths = [max(len(cells[i]) for cells in (header, *rows)) for i in range(len(header))]
    for cells in (header, *rows):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())


def _status(row, now: datetime) -> str:
    status = accounts.token_status(row, now)
    return f"revoked {_when(row.revoked_at)}" if status == "revoked" else status


@tokens.command("revoke")
@click.option("--id", "token_id", required=True, help="The token's id, as `catalog tokens list` shows it.")
def tokens_revoke(token_id: str) -> None:
    """Revoke a token; requests using it get 401 from then on."""
    with transaction() as session:
        row = accounts.get_token(session, token_id.strip().lstrip("#"))
        already = row.revoked_at
        accounts.revoke_token(session, row.id)
        line = (f"token #{row.id} of {row.user.email} was already revoked on {_when(already)} UTC" if already
                else f"revoked token #{row.id} of {row.user.email}")
    click.echo(line)
