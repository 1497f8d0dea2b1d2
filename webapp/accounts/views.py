"""Account pages: register, log in and out, my account, and asking for authoring access.

Registering does not log in: it answers a taken email exactly as a new one (same redirect, same
message), so the form cannot tell anyone who has an account. It is rate-limited like the login
(webapp/limits.py).

Reviewing access requests and managing an organization's members live in
`webapp/accounts/organizations.py`; both go through `catalog.accounts.service`, which holds the rules.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_required, login_user, logout_user
from wtforms import SelectChoice

from store.ids import parse_id
from store.models import Organization
from catalog.accounts import service as accounts
from webapp.accounts.forms import AccessRequestForm, LoginForm, RegisterForm
from webapp.auth import current_actor
from webapp.database import db
from catalog.accounts.passwords import verify_password

bp = Blueprint("accounts", __name__)

STATUS_FOR = {accounts.Conflict: 409, accounts.NotFound: 404}
# The same words for a new address and a taken one (see register()).
REGISTERED = ("Thank you for registering. Log in with your email and password. If you had already "
              "registered with this email, use the password you chose then.")


def sentence(message: str) -> str:
    """Service messages are lower-case clauses (they also end up in CLI output); pages show sentences."""
    message = message.strip()
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def show_error(form, exc: accounts.AccountError) -> tuple[str | None, int]:
    """Put the error next to its field when it has one; otherwise return it for the page top."""
    field = getattr(form, exc.field, None) if exc.field else None
    status = STATUS_FOR.get(type(exc), 422)
    if field is not None:
        field.errors = [*field.errors, sentence(exc.message)]
        return None, status
    return sentence(exc.message), status


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_actor() is not None:
        return redirect(url_for(".account"))
    form = RegisterForm()
    problem, status = None, 200
    if form.validate_on_submit():
        store = db()
        try:
            # None when the email is taken: answered exactly as a new account, so this form cannot
            # be used to find out who is registered (and the existing account is left alone).
            accounts.register_user(store, form.email.data, form.password.data, form.name.data)
            store.commit()
        except accounts.AccountError as exc:
            store.rollback()
            problem, status = show_error(form, exc)
        else:
            flash(REGISTERED, "success")
            return redirect(url_for(".login"), 303)
    elif form.errors:
        status = 422
    return render_template("accounts/register.html", form=form, problem=problem), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_actor() is not None:
        return redirect(safe_next(request.args.get("next")) or url_for(".account"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        store = db()
        user = accounts.find_user(store, form.email.data)
        ok, fresh_hash = verify_password(user.password_hash if user else None, form.password.data)
        if ok:
            if fresh_hash:
                user.password_hash = fresh_hash
                store.commit()
            # A new session on login: nothing set before it (a CSRF token included) carries over.
            session.clear()
            login_user(user)
            return redirect(safe_next(form.next.data) or url_for(".account"))
        form.password.errors = [*form.password.errors, "Email or password is incorrect."]
        status = 401
    elif form.errors:
        status = 422
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    user = current_actor()
    if user is not None:
        # Server-side: a copy of this session's cookie must not outlive the logout. This ends
        # the user's sessions in every browser, the price of one version per user.
        store = db()
        accounts.end_sessions(store, user)
        store.commit()
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("public.index"))


@bp.get("/account")
@login_required
def account():
    user = current_actor()
    store = db()
    memberships = sorted(user.memberships, key=lambda m: m.organization.name.lower())
    return render_template(
        "accounts/account.html",
        user=user,
        memberships=memberships,
        requests=accounts.requests_of(store, user),
        pending=accounts.pending_request(store, user),
    )


@bp.route("/access-request", methods=["GET", "POST"])
@login_required
def access_request():
    user = current_actor()
    store = db()
    joinable = [o for o in accounts.list_orgs(store) if o.can_author and not user.role_in(o.id)]
    form = AccessRequestForm()
    form.org_id.choices = [SelectChoice("0", "Choose an organization"),
                           *(SelectChoice(str(o.id), o.name) for o in joinable)]
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            if form.mode.data == "join":
                org_id = parse_id(form.org_id.data)  # a posted number past MAX_ID cannot be looked up
                org = store.get(Organization, org_id) if org_id is not None else None
                if org is None:
                    raise accounts.NotFound("that organization is not in the catalog", "org_id")
                accounts.request_access(store, user, join=org, message=form.message.data)
            else:
                proposal = accounts.OrgProposal(form.name.data, form.kinds.data, form.website.data or "",
                                                form.location.data or "")
                accounts.request_access(store, user, propose=proposal, message=form.message.data)
            store.commit()
        except accounts.AccountError as exc:
            store.rollback()
            problem, status = show_error(form, exc)
        else:
            flash("Your request was sent. A platform admin will review it; the outcome will appear here.", "success")
            return redirect(url_for(".account"))
    elif form.errors:
        status = 422
    return render_template("accounts/access_request.html", form=form, problem=problem,
                           pending=accounts.pending_request(store, user), joinable=joinable), status


def error_page(exc):
    """403 and 404 raised by account views, as a page in the site's layout.

    Registered per blueprint, not app-wide, so JSON APIs keep answering their errors in JSON.
    """
    title = {403: "Not allowed", 404: "Not found"}.get(exc.code, "Something went wrong")
    return render_template("accounts/error.html", title=title, message=exc.description), exc.code


bp.register_error_handler(403, error_page)
bp.register_error_handler(404, error_page)
