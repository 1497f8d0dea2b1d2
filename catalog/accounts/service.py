"""Organizations, people, roles and API tokens: plain functions over a SQLAlchemy session.

The account pages, the `catalog` CLI and the demo-data loader all go through these functions,
so a rule (one pending request per person, an organization keeps at least one admin, a rename
reaches the search index) holds however a change is made. Nothing here imports Flask.

Functions add and flush but never commit: the caller owns the transaction. They trust the
caller on *who* may act (views check permissions, the CLI is an operator) and check *what*
is being done, raising an `AccountError` whose message a person can act on.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.ids import parse_id
from store.models import (
    AccessRequest,
    ApiToken,
    Membership,
    Organization,
    OrgKind,
    PasswordReset,
    Role,
    User,
    utcnow,
)
from indexer.dependents import queue_dependents
from catalog.accounts.passwords import hash_password, password_problem, verify_password

ROLES = tuple(r.value for r in Role)
KINDS = tuple(k.value for k in OrgKind)
AUTHORING_KINDS = (OrgKind.issuer.value, OrgKind.verifier.value)
TOKEN_PREFIX = "cc_"  # makes a leaked token recognizable to secret scanners and to people


class AccountError(Exception):
    """A change that cannot be made as asked. `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(AccountError):
    pass


class Conflict(AccountError):
    pass


class Invalid(AccountError):
    pass


class TokenRejected(AccountError):
    pass


# --- Lookups ----------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(session: Session, email: str) -> User:
    user = find_user(session, email)
    if user is None:
        raise NotFound(f"no registered user with email {normalize_email(email)!r}", field="email")
    return user


def find_org_by_name(session: Session, name: str) -> Organization | None:
    return session.scalar(select(Organization).where(func.lower(Organization.name) == name.strip().lower()))


def get_org(session: Session, name_or_id: str | int) -> Organization:
    """An organization by id (digits) or by name, ignoring case."""
    text = str(name_or_id).strip()
    org_id = parse_id(text)
    org = session.get(Organization, org_id) if org_id is not None else find_org_by_name(session, text)
    if org is None:
        raise NotFound(f"no organization {text!r} (give its id or exact name; `catalog orgs list` shows them)")
    return org


def _flush(session: Session, message: str, field: str | None = None) -> None:
    """Flush, turning a unique-constraint race lost to a concurrent writer into a Conflict."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, field) from exc


# --- Organizations ----------------------------------------------------------------------------


def clean_kinds(kinds) -> list[str]:
    chosen = [k for k in KINDS if k in set(kinds or [])]
    unknown = sorted(set(kinds or []) - set(KINDS))
    if unknown:
        raise Invalid(f"unknown organization kind {', '.join(unknown)}; choose from {', '.join(KINDS)}", "kinds")
    if not chosen:
        raise Invalid(f"choose at least one kind: {', '.join(KINDS)}", "kinds")
    return chosen


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("an organization needs a name", "name")
    return name


def create_org(session: Session, name: str, kinds, website: str = "", location: str = "") -> Organization:
    name = _clean_name(name)
    if find_org_by_name(session, name) is not None:
        raise Conflict(f"an organization named {name!r} already exists", "name")
    org = Organization(name=name, kinds=clean_kinds(kinds), website=(website or "").strip(),
                       location=(location or "").strip())
    session.add(org)
    _flush(session, f"an organization named {name!r} already exists", "name")
    return org


def rename_org(session: Session, org: Organization, new_name: str) -> int:
    """Rename and queue every published credential whose search document shows the old name.

    Documents embed the issuer's name and each program's provider name, so both kinds of
    credential go back through the outbox, in this same transaction. Returns how many.
    """
    new_name = _clean_name(new_name)
    if new_name == org.name:
        return 0
    other = find_org_by_name(session, new_name)
    if other is not None and other.id != org.id:
        raise Conflict(f"an organization named {new_name!r} already exists", "name")
    org.name = new_name
    _flush(session, f"an organization named {new_name!r} already exists", "name")
    return queue_dependents(session, "organization", {org.id})


def update_org(session: Session, org: Organization, *, name: str, kinds, website: str, location: str) -> int:
    """Edit an organization's details; returns how many credentials a rename queued."""
    org.kinds = clean_kinds(kinds)
    org.website = (website or "").strip()
    org.location = (location or "").strip()
    return rename_org(session, org, name)


def list_orgs(session: Session) -> list[Organization]:
    return list(session.scalars(select(Organization).order_by(func.lower(Organization.name))))


# --- People and roles -------------------------------------------------------------------------


def _clean_new_account(email: str, password: str) -> str:
    """The normalized email, once the email and the password meet the rules for a new account."""
    email = normalize_email(email)
    local, _, domain = email.partition("@")
    if not local or not domain:
        raise Invalid(f"{email!r} is not an email address", "email")
    check_new_password(password)
    return email


def check_new_password(password: str) -> None:
    """The rules for any new password (catalog.accounts.passwords), as an Invalid on "password"."""
    problem = password_problem(password or "")
    if problem:
        raise Invalid(problem, "password")


def create_user(session: Session, email: str, password: str, name: str = "",
                platform_admin: bool = False) -> User:
    """A new account; Conflict if the email is taken (operators and tests need to know)."""
    email = _clean_new_account(email, password)
    if find_user(session, email) is not None:
        raise Conflict(f"an account with email {email!r} already exists", "email")
    user = User(email=email, name=(name or "").strip(), password_hash=hash_password(password),
                is_platform_admin=platform_admin)
    session.add(user)
    _flush(session, f"an account with email {email!r} already exists", "email")
    return user


def end_sessions(session: Session, user: User) -> None:
    """Log `user` out everywhere: every session cookie issued so far stops working.

    Sessions carry the user's session_version (User.get_id); the web app refuses one whose
    version is not the current one. Incremented in SQL, so two concurrent calls both count.
    """
    user.session_version = User.session_version + 1
    session.flush()


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password and end every session: whoever knew the old one is logged out too.

    Password-reset links sent before it stop working: one could otherwise undo the change.
    """
    check_new_password(new_password)
    user.password_hash = hash_password(new_password)
    end_sessions(session, user)
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=utcnow()))


def check_current_password(user: User, password: str, field: str = "current_password") -> None:
    """Invalid unless `password` is the user's: changing the password or deleting the account
    needs it, so an unattended logged-in browser is not enough."""
    ok, _ = verify_password(user.password_hash, password or "")
    if not ok:
        raise Invalid("that is not your current password", field)


def change_own_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    check_current_password(user, current_password)
    if current_password == new_password:
        raise Invalid("choose a password different from the current one", "new_password")
    try:
        change_password(session, user, new_password)
    except Invalid as exc:
        raise Invalid(exc.message, "new_password") from exc


def register_user(session: Session, email: str, password: str, name: str = "") -> User | None:
    """Self-service registration that does not tell who is registered.

    The email and password rules apply first, alike for every address. Then a new address gets
    an account; a taken one gets None and its account is left exactly as it was (the catalog
    sends no email, so there is no "someone tried to register as you" message to send). The
    password is hashed either way so both take as long, and the caller answers both alike.
    """
    email = _clean_new_account(email, password)
    if find_user(session, email) is not None:
        hash_password(password)  # the same work as a new account, so timing does not tell either
        return None
    try:
        with session.begin_nested():
            return create_user(session, email, password, name)
    except Conflict:
        return None  # registered by a concurrent request a moment ago: the same answer


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}; choose {' or '.join(ROLES)}", "role")
    return role


def _membership(session: Session, user: User, org: Organization) -> Membership | None:
    return session.scalar(select(Membership).where(Membership.user_id == user.id, Membership.org_id == org.id))


def _ensure_another_admin(session: Session, org: Organization, leaving: User) -> None:
    admins = session.scalar(
        select(func.count()).where(Membership.org_id == org.id, Membership.role == Role.admin.value,
                                   Membership.user_id != leaving.id)
    )
    if not admins:
        raise Conflict(f"{leaving.email} is the only admin of {org.name}; make someone else an admin first")


def grant(session: Session, user: User, org: Organization, role: str) -> Membership:
    """Make `user` a member of `org` with `role`, or change the role they have."""
    _check_role(role)
    membership = _membership(session, user, org)
    if membership is None:
        membership = Membership(user=user, org_id=org.id, role=role)
        membership.organization = org
        session.add(membership)
    elif membership.role != role:
        if membership.role == Role.admin.value:
            _ensure_another_admin(session, org, user)
        membership.role = role
    _flush(session, f"{user.email} is already a member of {org.name}")
    return membership


def remove_member(session: Session, org: Organization, user: User) -> None:
    membership = _membership(session, user, org)
    if membership is None:
        raise NotFound(f"{user.email} is not a member of {org.name}")
    if membership.role == Role.admin.value:
        _ensure_another_admin(session, org, user)
    user.memberships.remove(membership)
    session.flush()


def leave_org(session: Session, user: User, org: Organization) -> None:
    """`user` stops being a member; the organization's credentials stay with it. An only admin
    must hand the role to someone else first (Conflict), so no organization is left without one."""
    remove_member(session, org, user)


def orgs_blocking_deletion(session: Session, user: User) -> list[Organization]:
    """Organizations that would be left with members but no admin if `user` went."""
    blocking = []
    for membership in user.memberships:
        if membership.role != Role.admin.value:
            continue
        org = membership.organization
        others = session.scalar(select(func.count()).where(Membership.org_id == org.id,
                                                           Membership.user_id != user.id))
        admins = session.scalar(select(func.count()).where(Membership.org_id == org.id,
                                                           Membership.role == Role.admin.value,
                                                           Membership.user_id != user.id))
        if others and not admins:
            blocking.append(org)
    return blocking


def delete_account(session: Session, user: User, password: str) -> None:
    """Delete `user` for good, after checking their password.

    What stays: the credentials they wrote belong to their organizations and stay exactly as
    they are; the history and the notes keep their entries without an author (the foreign keys
    set NULL). What goes: the person, their memberships, access requests, API tokens and reset
    links. An organization they were the only member of stays too, for platform admins to
    manage. An only admin of an organization that has other members must first make one of
    them an admin (Conflict): the others would otherwise have nobody to manage members.
    """
    check_current_password(user, password, "password")
    blocking = orgs_blocking_deletion(session, user)
    if blocking:
        names = ", ".join(org.name for org in blocking)
        raise Conflict(f"you are the only admin of {names}; make another member an admin first")
    session.delete(user)
    session.flush()


def members(session: Session, org: Organization) -> list[Membership]:
    return list(session.scalars(
        select(Membership).join(User).where(Membership.org_id == org.id).order_by(User.email)
    ))


# --- API tokens -------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str = "",
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`, valid until revoked or until `expires_at` (naive UTC).

    The token itself is returned once and never stored.
    """
    if expires_at is not None and expires_at <= utcnow():
        raise Invalid(f"the expiry must be in the future, not {expires_at:%Y-%m-%d %H:%M} UTC", "expires_at")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=hash_token(token), label=(label or "").strip(), expires_at=expires_at)
    session.add(row)
    session.flush()
    return row, token


def get_token(session: Session, token_id: int | str) -> ApiToken:
    number = parse_id(token_id)
    row = session.get(ApiToken, number) if number is not None else None
    if row is None:
        raise NotFound(f"no API token with id {str(token_id)[:30]}")
    return row


def revoke_token(session: Session, token_id: int | str, owner: User | None = None) -> ApiToken:
    """Revoke a token; revoking one already revoked keeps its first revocation time.

    With `owner`, only that person's token (someone else's answers NotFound, as a missing one).
    """
    row = get_token(session, token_id)
    if owner is not None and row.user_id != owner.id:
        raise NotFound(f"no API token with id {str(token_id)[:30]}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """Every token (or `user`'s), oldest first, revoked and expired ones included."""
    query = select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def token_status(row: ApiToken, now: datetime | None = None) -> str:
    """"active", "revoked" or "expired"."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def find_live_token(session: Session, token: str) -> ApiToken:
    """The token row for a presented token if it is neither revoked nor expired, else TokenRejected saying why."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        raise TokenRejected("the API token is not valid")
    status = token_status(row)
    if status == "revoked":
        raise TokenRejected("the API token was revoked")
    if status == "expired":
        raise TokenRejected(f"the API token expired on {row.expires_at:%Y-%m-%d %H:%M} UTC; "
                            "ask an operator for a new one (`catalog tokens create`)")
    return row


# --- Access requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgProposal:
    name: str
    kinds: list[str]
    website: str = ""
    location: str = ""


def pending_request(session: Session, user: User) -> AccessRequest | None:
    return session.scalar(select(AccessRequest).where(AccessRequest.user_id == user.id,
                                                      AccessRequest.status == "pending"))


def requests_of(session: Session, user: User) -> list[AccessRequest]:
    return list(session.scalars(select(AccessRequest).where(AccessRequest.user_id == user.id)
                                .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc())))


def pending_requests(session: Session) -> list[AccessRequest]:
    return list(session.scalars(select(AccessRequest).where(AccessRequest.status == "pending")
                                .order_by(AccessRequest.created_at, AccessRequest.id)))


def request_access(session: Session, user: User, *, join: Organization | None = None,
                   propose: OrgProposal | None = None, message: str = "") -> AccessRequest:
    """Ask to join an authoring organization, or to have a new one created with `user` as admin."""
    if (join is None) == (propose is None):
        raise Invalid("ask to join one existing organization or propose one new organization")
    if pending_request(session, user) is not None:
        raise Conflict("you already have a pending request; wait for a platform admin to decide it")
    request = AccessRequest(user_id=user.id, message=(message or "").strip())
    if join is not None:
        if not join.can_author:
            raise Invalid(f"{join.name} does not issue or verify credentials", "org_id")
        if user.role_in(join.id):
            raise Conflict(f"you are already a member of {join.name}", "org_id")
        request.org_id = join.id
    else:
        kinds = clean_kinds(propose.kinds)
        if not set(kinds) & set(AUTHORING_KINDS):
            raise Invalid("choose issuer, verifier or both: only they author credentials", "kinds")
        name = _clean_name(propose.name)
        if find_org_by_name(session, name) is not None:
            raise Conflict(f"{name!r} is already in the catalog; ask to join it instead", "name")
        request.proposed_name, request.proposed_kinds = name, kinds
        request.proposed_website, request.proposed_location = propose.website.strip(), propose.location.strip()
    session.add(request)
    session.flush()
    return request


def _decide(request: AccessRequest, admin: User, status: str, note: str) -> None:
    if request.status != "pending":
        raise Conflict(f"request #{request.id} was already {request.status}")
    request.status, request.decided_by, request.decided_at = status, admin.id, utcnow()
    request.decision_note = (note or "").strip()


def approve_request(session: Session, request: AccessRequest, admin: User, note: str = "") -> Organization:
    """Approve: create the proposed organization with the requester as its admin, or add the
    requester to the existing one as an editor (keeping a role they already hold)."""
    requester = request.user
    if request.proposed_name:
        _decide(request, admin, "approved", note)
        org = create_org(session, request.proposed_name, request.proposed_kinds,
                         request.proposed_website, request.proposed_location)
        request.org_id = org.id
        grant(session, requester, org, Role.admin.value)
        return org
    org = request.organization
    if org is None:
        raise Conflict(f"the organization request #{request.id} asked to join no longer exists; reject it")
    _decide(request, admin, "approved", note)
    if not requester.role_in(org.id):
        grant(session, requester, org, Role.editor.value)
    return org


def reject_request(session: Session, request: AccessRequest, admin: User, note: str = "") -> None:
    _decide(request, admin, "rejected", note)
    session.flush()
