"""The Flask web app: authoring (editor, accounts, authoring API) and the public pages and API."""
from __future__ import annotations

from flask import Flask

from store.settings import Settings
from webapp.database import RetryingFlask


def create_app(settings: Settings | None = None, **config) -> Flask:
    settings = settings or Settings.from_env()
    app = RetryingFlask(__name__)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    # Any Flask setting can come from the environment as CATALOG_<NAME>, e.g.
    # CATALOG_PUBLIC_API_RATE_LIMIT="600/minute"; explicit keyword config wins over it.
    app.config.from_prefixed_env("CATALOG")
    app.config.update(config)
    from webapp import security

    # Before anything else: in production, no app at all rather than one whose sessions can be forged.
    security.require_secret_key(app, settings)
    # Keep keys in the order the code builds them (JSON_SORT_KEYS is gone from Flask 3).
    app.json.sort_keys = False

    if settings.log_format == "json":
        from store.logs import configure_logging

        configure_logging("json")
    from webapp import converters, database, errors, metrics, request_ids

    # First: every later hook and log line of a request may use its id; timing wraps it all.
    request_ids.init_app(app)
    metrics.init_app(app)

    database.init_app(app)
    errors.init_app(app)
    # Before any blueprint: their routes use the `id` converter.
    converters.init_app(app)

    from webapp import auth

    # Sessions, Bearer tokens and CSRF; its request hook must come before any other.
    auth.init_app(app)
    # Security headers (CSP, framing, HSTS on HTTPS) and no-store on private pages.
    security.init_app(app)

    from webapp.health import bp as health_bp
    from webapp.public.home import bp as public_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)

    from webapp.accounts.views import bp as accounts_bp
    from webapp.accounts.organizations import bp as organizations_bp
    from webapp.accounts.leaving import bp as leaving_bp
    from webapp.accounts.passwords import bp as passwords_bp
    from webapp.accounts.tokens import bp as tokens_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(passwords_bp)
    app.register_blueprint(leaving_bp)

    from webapp.api.autocomplete import bp as autocomplete_bp
    from webapp.api.suggest import bp as suggest_bp
    from webapp.editor.widgets import bp as widgets_bp

    app.register_blueprint(autocomplete_bp)
    app.register_blueprint(suggest_bp)
    app.register_blueprint(widgets_bp)

    from webapp.editor import bp as editor_bp

    app.register_blueprint(editor_bp)

    from webapp.api.editor import bp as api_editor_bp

    app.register_blueprint(api_editor_bp)

    from webapp.api.ctdl import bp as api_ctdl_bp
    from webapp.api.public import bp as api_public_bp
    from webapp.api.openapi import bp as openapi_bp
    from webapp.public.ctdl import bp as ctdl_public_bp
    from webapp.public.search import bp as search_bp

    # Before search: `/credentials/<id>.jsonld` must not be read as the page's `/credentials/<id>`.
    app.register_blueprint(ctdl_public_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(api_ctdl_bp)
    app.register_blueprint(api_public_bp)
    app.register_blueprint(openapi_bp)

    from webapp import limits

    # Last: it limits blueprints by name, so they must be registered already.
    limits.init_app(app)
    return app
