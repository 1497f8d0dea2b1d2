"""Who is asking, and what they may do: sessions, API tokens, CSRF, and the permission checks.

Two ways in, one answer. Pages use Flask-Login's session cookie; API clients send
`Authorization: Bearer cc_...`. On a Bearer request the token's user *is* `current_user` and the
session cookie is ignored, so `current_actor()` and the permission helpers below give the
editor pages and the authoring API the same checks.

Sessions are revocable on the server: the session stores `<user id>:<session version>`
(User.get_id) and the user loader accepts it only while the version matches the database's.
Logging out and changing the password raise the version (catalog.accounts.service.end_sessions).

CSRF: Flask-WTF's CSRFProtect guards every unsafe request except those carrying a Bearer header.
That exemption is safe because a browser never attaches an Authorization header on its own, so a
forged cross-site request cannot carry one, and a request that does carry one is rejected with
401 unless the token is valid: the token stands in for the CSRF token.

Cookies: HttpOnly and SameSite=Lax always (set in create_app), and Secure whenever the request
came in over HTTPS. `SESSION_COOKIE_SECURE` is one static value, which would either break
logins on plain-HTTP development servers or let the cookie travel over HTTP in production; the
small session interface below decides per request instead. Behind a TLS-terminating proxy, wrap
the app in werkzeug's ProxyFix so `request.is_secure` sees the original scheme.
"""
from __future__ import annotations

from datetime import timedelta
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, g, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import update

from store.db import session_scope
from store.models import MAX_ID, ApiToken, Membership, Role, User, utcnow
from catalog.accounts.service import TokenRejected, find_live_token
from webapp.database import db
from webapp.errors import json_error

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Log in to continue."
login_manager.login_message_category = "info"
csrf = CSRFProtect()

# Endpoints that read `Authorization: Bearer` as their own secret, not as an API token
# (webapp/metrics.py checks METRICS_TOKEN).
OWN_BEARER_ENDPOINTS = frozenset({"metrics.metrics"})

# last_used_at is kept to the minute: read-only API traffic must not become one write per request
# (on SQLite every write takes the database-wide lock).
LAST_USED_GRANULARITY = timedelta(minutes=1)


class BearerRejected(Exception):
    """Answered as 401 JSON: `{"error": "unauthorized", "message": ...}`."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


# --- Bearer tokens ----------------------------------------------------------------------------


def _bearer_header() -> str | None:
    header = request.headers.get("Authorization", "")
    return header if header.split(" ", 1)[0].lower() == "bearer" else None


def user_from_bearer(header: str | None) -> User:
    """The user an `Authorization: Bearer <token>` header speaks for, or BearerRejected."""
    if not header:
        raise BearerRejected("send an API token as `Authorization: Bearer <token>`")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise BearerRejected("the Authorization header must be `Bearer <token>`")
    settings = current_app.config["SETTINGS"]
    with session_scope(settings.database_url, write=False) as lookup:
        try:
            row = find_live_token(lookup, token)
        except TokenRejected as exc:
            raise BearerRejected(exc.message) from exc
        token_id, user_id, last_used = row.id, row.user_id, row.last_used_at
    now = utcnow()
    if last_used is None or now - last_used >= LAST_USED_GRANULARITY:
        with session_scope(settings.database_url) as writer:
            writer.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    user = db().get(User, user_id)
    if user is None:
        raise BearerRejected("the API token's user no longer exists")
    return user


def _authenticate_then_check_csrf():
    """First before_request hook: settle who is asking before anything reads current_user."""
    if request.endpoint in OWN_BEARER_ENDPOINTS:
        return None
    header = _bearer_header()
    if header is not None:
        g.bearer_user = user_from_bearer(header)
        return None  # a valid token replaces the CSRF token (see the module docstring)
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)
    return None


def unauthorized(message: str):
    response = json_error(401, "unauthorized", message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="catalog"'
    return response


def authenticate_api(blueprint: Blueprint) -> Blueprint:
    """Every request to `blueprint` needs a Bearer token or a logged-in session, else 401 JSON."""

    @blueprint.before_request
    def _require_actor():
        if current_actor() is None:
            return unauthorized("log in, or send an API token as `Authorization: Bearer <token>`")
        return None

    return blueprint


# --- Sessions ---------------------------------------------------------------------------------


def parse_session_id(value: str) -> tuple[int, int] | None:
    """`<user id>:<session version>` as User.get_id writes it, or None for anything else."""
    user_id, colon, version = (value or "").partition(":")
    if not colon or not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if not 0 < int(user_id) <= MAX_ID:
        return None
    return int(user_id), int(version)


@login_manager.user_loader
def _load_session_user(session_id: str) -> User | None:
    """The session's user while its version is current; logging out or a new password raise it.

    Runs on every request that asks who is logged in, so a session ended elsewhere (another
    browser's logout, a password change) ends here on the next request.
    """
    if _bearer_header() is not None:
        return g.get("bearer_user")  # a Bearer request speaks for the token's user only
    parsed = parse_session_id(session_id)
    if parsed is None:
        return None
    user_id, version = parsed
    user = db().get(User, user_id)
    if user is None or user.session_version != version:
        return None
    return user


@login_manager.request_loader
def _load_bearer_user(_request) -> User | None:
    return g.get("bearer_user")


def current_actor() -> User | None:
    """The logged-in user of a page or the token's user of an API call; None if anonymous."""
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


# --- Permissions ------------------------------------------------------------------------------


def authoring_memberships(user: User | None) -> list[Membership]:
    """Memberships in organizations that issue or verify credentials, i.e. that may author them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [m for m in user.memberships if m.organization is not None and m.organization.can_author]


def can_edit_org(user: User | None, org_id: int) -> bool:
    """May edit the organization's credentials: its admins and editors, and platform admins."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.is_platform_admin or user.role_in(org_id) in (Role.admin.value, Role.editor.value)


def is_org_admin(user: User | None, org_id: int) -> bool:
    """Holds the admin role in that organization (platform admins are not counted here)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.role_in(org_id) == Role.admin.value


def can_manage_org(user: User | None, org_id: int) -> bool:
    """May edit the organization's details and members: its admins, and platform admins."""
    return is_org_admin(user, org_id) or bool(user is not None and getattr(user, "is_platform_admin", False))


def session_login_required(view):
    """A logged-in browser session, never an API token: the pages that manage tokens, the
    password and the account itself must not be reachable with a token (a leaked token could
    otherwise mint more tokens or delete its owner)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("bearer_user") is not None:
            abort(403, description="Manage your account in the browser, logged in; API tokens cannot.")
        if current_actor() is None:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def platform_admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        actor = current_actor()
        if actor is None:
            return login_manager.unauthorized()
        if not actor.is_platform_admin:
            abort(403, description="Only platform admins can open this page.")
        return view(*args, **kwargs)

    return wrapper


# --- Wiring -----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Call before registering blueprints: the authentication hook must run first."""
    app.session_interface = HttpsAwareSessionInterface()
    login_manager.init_app(app)
    # CSRFProtect's own hook cannot skip Bearer requests, so it is switched off and ours calls
    # csrf.protect() with the same exemptions (csrf.exempt still works on views and blueprints).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(_authenticate_then_check_csrf)

    @app.errorhandler(BearerRejected)
    def _bearer_rejected(exc: BearerRejected):
        return unauthorized(exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_failed(exc: CSRFError):
        message = f"{exc.description} Reload the page and submit the form again."
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify(error="csrf_failed", message=message), 400
        return render_template("accounts/error.html", title="The form could not be accepted", message=message), 400

    app.jinja_env.globals.update(authoring_memberships=authoring_memberships, can_manage_org=can_manage_org)
