"""Who may open the editor, and which credentials they may open in it.

Three answers, checked for every editor route (the blueprint's before_request hook calls
`require_author`, so a new route cannot forget it):
  anonymous                               -> the login page, coming back afterwards
  logged in, no issuing/verifying org     -> 403, with a page that explains how to ask for access
  a credential of an org they cannot edit -> 404, exactly as if it did not exist, so ids cannot
                                             be probed for what other organizations are drafting
Platform admins may open and edit everything.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from store.models import Credential, Organization, User
from webapp.auth import authoring_memberships, can_edit_org, current_actor, login_manager
from webapp.database import db

NOT_AN_AUTHOR = "Only members of an organization that issues or verifies credentials can use the editor."


def require_author():
    """None to let the request through, or the response that stops it."""
    user = current_actor()
    if user is None:
        return login_manager.unauthorized()
    if not (user.is_platform_admin or authoring_memberships(user)):
        abort(403, description=NOT_AN_AUTHOR)
    return None


def author() -> User:
    return current_actor()


def editable_org_ids(user: User) -> set[int]:
    return {m.org_id for m in authoring_memberships(user) if can_edit_org(user, m.org_id)}


def issuing_orgs(user: User) -> list[Organization]:
    """Organizations the user may create a credential for (the new credential's issuer)."""
    if user.is_platform_admin:
        orgs = db().scalars(select(Organization).order_by(Organization.name)).all()
        return [o for o in orgs if o.can_author]
    return sorted((m.organization for m in authoring_memberships(user) if can_edit_org(user, m.org_id)),
                  key=lambda o: o.name.lower())


def editable_credential(credential_id: int) -> Credential:
    credential = db().get(Credential, credential_id)
    if credential is None or not can_edit_org(author(), credential.org_id):
        abort(404, description="There is no credential with that number that you can edit.")
    return credential
