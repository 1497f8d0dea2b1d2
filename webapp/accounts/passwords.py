"""Forgotten and changed passwords.

Forgot: the form answers every address with the same page, at once; the reset mail, when there
is an account, is sent by a background thread, so neither the words nor the time taken say who
is registered (beyond the few milliseconds of writing the link's row). Requests are limited per client address (PASSWORD_RESET_RATE_LIMIT,
webapp/limits.py) and per account (catalog.accounts.resets.RESETS_PER_HOUR).

Reset: the link's secret travels in the URL path of a GET that shows the form; the page is
no-store and sends no Referer off the site (Referrer-Policy), and the secret is only checked
against its hash. Setting the password ends every session of the account and voids the link.

Change: needs the current password; it ends the account's other sessions and keeps this one
(it logs in again with the new session version).
"""
from __future__ import annotations

import logging
import threading

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_login import login_user

from catalog import mail
from catalog.accounts import resets
from catalog.accounts import service as accounts
from webapp.accounts.forms import ChangePasswordForm, ForgotPasswordForm, ResetPasswordForm
from webapp.accounts.views import error_page, sentence, show_error
from webapp.auth import current_actor, session_login_required
from webapp.database import db

log = logging.getLogger(__name__)
bp = Blueprint("passwords", __name__)
bp.register_error_handler(403, error_page)
bp.register_error_handler(404, error_page)

SENT = ("If an account uses that address, a message with a link to choose a new password is on its way. "
        "The link works once, for an hour. Check your spam folder if it does not arrive.")


def _reset_link(token: str) -> str:
    """Absolute link to the reset page. PUBLIC_URL, when set, decides the host: otherwise a forged
    Host header on the request could point the link at someone else's site."""
    settings = current_app.config["SETTINGS"]
    path = url_for(".reset_password", token=token)
    return f"{settings.public_url}{path}" if settings.public_url else url_for(".reset_password", token=token,
                                                                                _external=True)


def _send_in_background(settings, to: str, subject: str, body: str) -> None:
    def send():
        try:
            mail.send_mail(settings, to, subject, body)
        except mail.MailError as exc:
            log.error("password reset mail to %s not sent: %s", to, exc)

    threading.Thread(target=send, name="reset-mail", daemon=True).start()


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    status = 200
    if form.validate_on_submit():
        store = db()
        reset = resets.request_reset(store, form.email.data)
        store.commit()
        if reset is not None:
            subject, body = resets.reset_mail_text(reset, _reset_link(reset.token))
            _send_in_background(current_app.config["SETTINGS"], reset.to, subject, body)
        flash(SENT, "info")
        return redirect(url_for("accounts.login"), 303)
    if form.errors:
        status = 422
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    store = db()
    form = ResetPasswordForm()
    try:
        user = resets.check_reset(store, token)
    except accounts.Invalid as exc:
        return render_template("accounts/reset_password.html", form=None, problem=sentence(exc.message)), 410
    status = 200
    if form.validate_on_submit():
        try:
            resets.complete_reset(store, token, form.password.data)
            store.commit()
        except accounts.AccountError as exc:
            store.rollback()
            problem, status = show_error(form, exc)
            return render_template("accounts/reset_password.html", form=form, problem=problem, user=user), status
        session.clear()
        flash("Your password is changed, and every session of your account was ended. Log in with the new password.",
              "success")
        return redirect(url_for("accounts.login"), 303)
    if form.errors:
        status = 422
    return render_template("accounts/reset_password.html", form=form, problem=None, user=user), status


@bp.route("/account/password", methods=["GET", "POST"])
@session_login_required
def change_password():
    form = ChangePasswordForm()
    status, problem = 200, None
    if form.validate_on_submit():
        store = db()
        user = current_actor()
        try:
            accounts.change_own_password(store, user, form.current_password.data, form.new_password.data)
            store.commit()
        except accounts.AccountError as exc:
            store.rollback()
            problem, status = show_error(form, exc)
        else:
            # The new session version ended every session, this one included: start a fresh one here.
            session.clear()
            login_user(user)
            flash("Your password is changed. Your other sessions were logged out.", "success")
            return redirect(url_for("accounts.account"), 303)
    elif form.errors:
        status = 422
    return render_template("accounts/change_password.html", form=form, problem=problem), status
