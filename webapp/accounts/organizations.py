"""Deciding access requests (platform admins) and managing an organization (its admins).

Every change goes through `catalog.accounts.service` in the request's one transaction; a rename there
also queues the organization's published credentials for reindexing, so search shows the new
issuer name without anyone running a command.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from store.models import AccessRequest, Organization, User
from catalog.accounts import service as accounts
from webapp.accounts.forms import AddMemberForm, ConfirmForm, DecisionForm, OrgDetailsForm, RoleForm
from webapp.accounts.views import error_page, sentence, show_error
from webapp.auth import can_manage_org, current_actor, platform_admin_required
from webapp.database import db

bp = Blueprint("organizations", __name__)
bp.register_error_handler(403, error_page)
bp.register_error_handler(404, error_page)

RECENT_DECISIONS = 20


# --- Access requests (platform admins) --------------------------------------------------------


def _review_page(status: int = 200, form: DecisionForm | None = None):
    store = db()
    decided = store.scalars(
        select(AccessRequest).where(AccessRequest.status != "pending")
        .order_by(AccessRequest.decided_at.desc(), AccessRequest.id.desc()).limit(RECENT_DECISIONS)
    ).all()
    deciders = {u.id: u for u in store.scalars(select(User).where(User.id.in_({r.decided_by for r in decided})))}
    return render_template("accounts/admin_requests.html", pending=accounts.pending_requests(store),
                           decided=decided, deciders=deciders, form=form or DecisionForm(),
                           orgs=accounts.list_orgs(store)), status


@bp.get("/admin/access-requests")
@platform_admin_required
def review_requests():
    return _review_page()


@bp.post("/admin/access-requests/<id:request_id>")
@platform_admin_required
def decide_request(request_id: int):
    store = db()
    access_request = store.get(AccessRequest, request_id)
    if access_request is None:
        abort(404, description=f"There is no access request #{request_id}.")
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        flash("Choose Approve or Reject.", "error")
        return _review_page(422)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("The note is too long (2000 characters at most).", "error")
        return _review_page(422, form)
    who = access_request.user.email
    try:
        if decision == "approve":
            org = accounts.approve_request(store, access_request, current_actor(), form.note.data)
            message = f"Approved: {who} can now author credentials for {org.name}."
        else:
            accounts.reject_request(store, access_request, current_actor(), form.note.data)
            message = f"Rejected the request from {who}."
        store.commit()
    except accounts.AccountError as exc:
        store.rollback()
        flash(sentence(exc.message), "error")
        return _review_page(409 if isinstance(exc, accounts.Conflict) else 422)
    flash(message, "success")
    return redirect(url_for(".review_requests"), 303)


# --- One organization (its admins, and platform admins) ---------------------------------------


def _managed_org(org_id: int) -> Organization:
    org = db().get(Organization, org_id)
    if org is None:
        abort(404, description=f"There is no organization #{org_id}.")
    if not can_manage_org(current_actor(), org_id):
        abort(403, description=f"Only the admins of {org.name} can manage it.")
    return org


def _org_page(org: Organization, *, details=None, add=None, problem=None, status=200):
    members = accounts.members(db(), org)
    return render_template(
        "accounts/org.html", org=org, members=members, problem=problem,
        details=details or OrgDetailsForm(obj=org, formdata=None), add=add or AddMemberForm(formdata=None),
        role_forms={m.user_id: RoleForm(formdata=None, role=m.role, prefix=f"m{m.user_id}") for m in members},
        confirm=ConfirmForm(formdata=None),
    ), status


@bp.get("/orgs/<id:org_id>")
@login_required
def org_page(org_id: int):
    return _org_page(_managed_org(org_id))


@bp.post("/orgs/<id:org_id>")
@login_required
def edit_org(org_id: int):
    org = _managed_org(org_id)
    form = OrgDetailsForm()
    if not form.validate_on_submit():
        return _org_page(org, details=form, status=422)
    store = db()
    try:
        queued = accounts.update_org(store, org, name=form.name.data, kinds=form.kinds.data,
                                     website=form.website.data or "", location=form.location.data or "")
        store.commit()
    except accounts.AccountError as exc:
        store.rollback()
        problem, status = show_error(form, exc)
        return _org_page(store.get(Organization, org_id), details=form, problem=problem, status=status)
    note = f" Search will show the new name on {queued} published credentials shortly." if queued else ""
    flash(f"Saved {org.name}.{note}", "success")
    return redirect(url_for(".org_page", org_id=org.id), 303)


@bp.post("/orgs/<id:org_id>/members")
@login_required
def add_member(org_id: int):
    org = _managed_org(org_id)
    form = AddMemberForm()
    if not form.validate_on_submit():
        return _org_page(org, add=form, status=422)
    store = db()
    user = accounts.find_user(store, form.email.data)
    if user is None:
        form.email.errors = [*form.email.errors, "No one has registered with this email; they need to register first."]
        return _org_page(org, add=form, status=422)
    if user.role_in(org.id):
        form.email.errors = [*form.email.errors, f"{user.email} is already a member; change their role below."]
        return _org_page(org, add=form, status=409)
    try:
        accounts.grant(store, user, org, form.role.data)
        store.commit()
    except accounts.AccountError as exc:
        store.rollback()
        problem, status = show_error(form, exc)
        return _org_page(store.get(Organization, org_id), add=form, problem=problem, status=status)
    flash(f"Added {user.email} as {form.role.data}.", "success")
    return redirect(url_for(".org_page", org_id=org.id), 303)


def _member(org: Organization, user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None or not user.role_in(org.id):
        abort(404, description=f"That person is not a member of {org.name}.")
    return user


@bp.post("/orgs/<id:org_id>/members/<id:user_id>/role")
@login_required
def change_role(org_id: int, user_id: int):
    org = _managed_org(org_id)
    user = _member(org, user_id)
    form = RoleForm(prefix=f"m{user_id}")
    if not form.validate_on_submit():
        return _org_page(org, problem="Choose admin or editor.", status=422)
    store = db()
    try:
        accounts.grant(store, user, org, form.role.data)
        store.commit()
    except accounts.AccountError as exc:
        store.rollback()
        return _org_page(store.get(Organization, org_id), problem=sentence(exc.message), status=409)
    flash(f"{user.email} is now {form.role.data}.", "success")
    return _after_member_change(org)


@bp.post("/orgs/<id:org_id>/members/<id:user_id>/remove")
@login_required
def remove_member(org_id: int, user_id: int):
    org = _managed_org(org_id)
    user = _member(org, user_id)
    store = db()
    try:
        accounts.remove_member(store, org, user)
        store.commit()
    except accounts.AccountError as exc:
        store.rollback()
        return _org_page(store.get(Organization, org_id), problem=sentence(exc.message), status=409)
    flash(f"Removed {user.email} from {org.name}.", "success")
    return _after_member_change(org)


def _after_member_change(org: Organization):
    """Back to the organization page, or to the account page if the admin just stepped down."""
    if can_manage_org(current_actor(), org.id):
        return redirect(url_for(".org_page", org_id=org.id), 303)
    return redirect(url_for("accounts.account"), 303)
