"""Leaving an organization, and deleting one's account, each after a confirmation page.

The rules (an organization keeps an admin; what stays when a person goes) are in
catalog.accounts.service: `leave_org` and `delete_account`. In short, credentials belong to
their organization and stay, published or not; the history and notes keep their entries
without an author.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import logout_user

from store.models import Organization
from catalog.accounts import service as accounts
from webapp.accounts.forms import ConfirmForm, DeleteAccountForm
from webapp.accounts.views import error_page, sentence, show_error
from webapp.auth import current_actor, session_login_required
from webapp.database import db

bp = Blueprint("leaving", __name__)
bp.register_error_handler(403, error_page)
bp.register_error_handler(404, error_page)


def _own_org(org_id: int) -> Organization:
    org = db().get(Organization, org_id)
    if org is None or not current_actor().role_in(org_id):
        abort(404, description="You are not a member of that organization.")
    return org


@bp.get("/account/orgs/<id:org_id>/leave")
@session_login_required
def confirm_leave(org_id: int):
    return render_template("accounts/leave.html", org=_own_org(org_id), form=ConfirmForm(formdata=None), problem=None)


@bp.post("/account/orgs/<id:org_id>/leave")
@session_login_required
def leave(org_id: int):
    org = _own_org(org_id)
    store = db()
    try:
        accounts.leave_org(store, current_actor(), org)
        store.commit()
    except accounts.AccountError as exc:
        store.rollback()
        return render_template("accounts/leave.html", org=store.get(Organization, org_id),
                               form=ConfirmForm(formdata=None), problem=sentence(exc.message)), 409
    flash(f"You left {org.name}. Its credentials stay with it.", "success")
    return redirect(url_for("accounts.account"), 303)


@bp.route("/account/delete", methods=["GET", "POST"])
@session_login_required
def delete_account():
    user = current_actor()
    store = db()
    form = DeleteAccountForm()
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            accounts.delete_account(store, user, form.password.data)
            store.commit()
        except accounts.AccountError as exc:
            store.rollback()
            problem, status = show_error(form, exc)
        else:
            logout_user()
            session.clear()
            flash("Your account is deleted. The credentials you wrote stay with their organizations.", "info")
            return redirect(url_for("public.index"), 303)
    elif form.errors:
        status = 422
    return render_template("accounts/delete_account.html", form=form, problem=problem,
                           blocking=accounts.orgs_blocking_deletion(store, user)), status
