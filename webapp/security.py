"""What every response promises the browser, and the key that signs sessions.

- `require_secret_key` runs in create_app before anything else: in production (`CATALOG_ENV`,
  see store/settings.py) the app refuses to start with a missing, short or public SECRET_KEY,
  so gunicorn's workers fail to boot with a message that says how to set one. Development and
  tests without a key get a random one that lives as long as the process.
- `init_app` adds the security headers through flask-talisman:
  - a Content-Security-Policy that runs only this site's own script files and style sheets
    (no inline code, no other origin), and forbids framing (`frame-ancestors 'none'`, and
    `X-Frame-Options: DENY` for older browsers); `nosniff`; a referrer policy that sends other
    sites the origin only;
  - `Cache-Control: no-store` on every response that depends on who is asking (a logged-in
    session or an API token) and on the account, editor, organization and authoring API pages,
    so neither a shared cache nor the browser's back button keeps them;
  - HSTS only on a request that really came in over HTTPS (see `_strict_transport_security`).

Talisman's own HTTPS handling stays off: local development is plain http, auth.py already marks
the session cookie Secure per request, and redirects to https belong to the TLS proxy.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask, g, request
from flask_talisman import DENY, Talisman

from store.settings import ConfigurationError, Settings, secret_key_problem

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",  # search.css draws the facet checkmark as an SVG data: URL
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS = "max-age=31536000; includeSubDomains"  # one year, the usual minimum for preload lists
# Blueprints whose every page is about the person asking (or asks them to log in).
PRIVATE_BLUEPRINTS = frozenset({"accounts", "organizations", "editor", "api_editor", "tokens", "passwords", "leaving"})


def require_secret_key(app: Flask, settings: Settings) -> None:
    """Refuse to run in production on a key that lets anyone forge a session (ConfigurationError).

    Checks the key the app will really use: CATALOG_SECRET_KEY or create_app(SECRET_KEY=...)
    replace the one in settings, so they must not slip past.
    """
    problem = secret_key_problem(app.config.get("SECRET_KEY"), settings.environment)
    if problem:
        raise ConfigurationError(problem)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        log.warning("SECRET_KEY is not set: using a random key, so logins end when this process stops "
                    "(CATALOG_ENV=%s)", settings.environment)


def init_app(app: Flask) -> None:
    # One Talisman per app: the extension keeps the app it was given and its options on itself.
    app.extensions["talisman"] = Talisman(
        app,
        force_https=False,
        session_cookie_secure=False,  # auth.HttpsAwareSessionInterface decides per request
        strict_transport_security=False,  # see _strict_transport_security
        frame_options=DENY,
        content_security_policy=CONTENT_SECURITY_POLICY,
        referrer_policy=REFERRER_POLICY,
    )
    app.after_request(_strict_transport_security)
    app.after_request(_no_store_for_private_pages)


def _strict_transport_security(response):
    """HSTS on HTTPS responses only.

    Talisman would also trust a client's `X-Forwarded-Proto: https` on a plain-http request. This
    app applies no ProxyFix, so that header is whatever the client sent; `request.is_secure` is the
    scheme the server really saw (behind a TLS proxy, wrap the app in ProxyFix and it is the
    proxy's, as for the Secure cookie flag in auth.py).
    """
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    return response


def _no_store_for_private_pages(response):
    # Flask-Login keeps the user it loaded for this request in g._login_user. Only a response
    # that looked at current_user can depend on it; reading the session here instead would add
    # `Vary: Cookie` to public, cacheable answers such as autocomplete.
    user = g.get("_login_user")
    if request.blueprint in PRIVATE_BLUEPRINTS or (user is not None and user.is_authenticated):
        response.headers["Cache-Control"] = "no-store"
    return response
