"""The API tokens page: a person creates, names, sees and revokes their own tokens.

The same functions as `catalog tokens ...` (catalog.accounts.service). A new token's secret is
in the answer to the POST that made it and nowhere else: it is not stored (only its SHA-256),
not put in the session cookie (signed, not encrypted) and not in a redirect; the page is sent
with Cache-Control: no-store like every account page (webapp/security.py).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for

from store.models import utcnow
from catalog.accounts import service as accounts
from webapp.accounts.forms import ConfirmForm, TokenForm
from webapp.accounts.views import error_page, sentence
from webapp.auth import current_actor, session_login_required
from webapp.database import db

bp = Blueprint("tokens", __name__)
bp.register_error_handler(403, error_page)
bp.register_error_handler(404, error_page)


def _page(form: TokenForm | None = None, new_token: str | None = None, new_id: int | None = None, status: int = 200):
    user = current_actor()
    now = utcnow()
    rows = sorted(accounts.list_tokens(db(), user), key=lambda r: (accounts.token_status(r, now) != "active", -r.id))
    return render_template("accounts/tokens.html", tokens=rows, status_of=lambda r: accounts.token_status(r, now),
                           form=form or TokenForm(formdata=None), confirm=ConfirmForm(formdata=None),
                           new_token=new_token, new_id=new_id), status


@bp.get("/account/tokens")
@session_login_required
def tokens_page():
    return _page()


@bp.post("/account/tokens")
@session_login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    days = int(form.expires_in.data or 0)
    store = db()
    row, secret = accounts.create_token(store, current_actor(), form.label.data,
                                        utcnow() + timedelta(days=days) if days else None)
    store.commit()
    # Rendered, not redirected: this answer is the only place the secret ever appears.
    return _page(new_token=secret, new_id=row.id, status=201)


@bp.post("/account/tokens/<id:token_id>/revoke")
@session_login_required
def revoke_token(token_id: int):
    store = db()  # the CSRF token was checked before any view ran (webapp/auth.py)
    try:
        row = accounts.revoke_token(store, token_id, owner=current_actor())
        store.commit()
    except accounts.NotFound as exc:
        store.rollback()
        flash(sentence(exc.message), "error")
        return _page(status=404)
    flash(f"Revoked “{row.label or f'token {row.id}'}”: it no longer opens the API.", "success")
    return redirect(url_for(".tokens_page"), 303)
