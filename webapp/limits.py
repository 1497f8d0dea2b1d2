"""Rate limits for the public JSON API (and the search pages), and for login and registration
attempts, per client IP, in Redis.

Which blueprint gets which limit is declared once below; the values are app config, so an
operator can raise them and a test can shrink them. A client over its limit gets 429 JSON with
`Retry-After` (seconds) and the X-RateLimit-* headers.

Counters live under `<INDEX_PREFIX>ratelimit`, so test runs and `make dev` never share them. If
Redis is down or slow, the limiter counts in process memory instead (in_memory_fallback, with
short socket timeouts) and swallows storage errors: the API keeps answering, limits get looser
for a while, and nobody sees a 500 because the counter store hiccupped.

Counters are kept by webapp/limit_storage.py, which counts a hit and reads the window for the
headers in one Redis round trip (Flask-Limiter's stock Redis storage needs three).

Apps built with TESTING=True leave limiting off unless RATELIMIT_ENABLED says otherwise, so the
suite's many requests from 127.0.0.1 do not throttle each other; the rate-limit tests turn it on.
Behind a reverse proxy, wrap the app in werkzeug's ProxyFix so the client IP is the real one.
"""
from __future__ import annotations

from flask import Flask, current_app, render_template, request, url_for
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from webapp import limit_storage
from webapp.errors import json_error

# blueprint name -> the config key that holds its limit
LIMITED_BLUEPRINTS = {
    "api_public": "PUBLIC_API_RATE_LIMIT",
    "api_ctdl": "PUBLIC_API_RATE_LIMIT",
    # A search box asks for three kinds of suggestions per pause in typing, so this one is looser.
    "autocomplete": "AUTOCOMPLETE_RATE_LIMIT",
    # The editor asks once per change of occupations or programmes: the autocomplete limit fits.
    "suggest": "AUTOCOMPLETE_RATE_LIMIT",
}
# Page endpoints that count against a blueprint's allowance: the search and browse pages run the
# same OpenSearch queries as the JSON API, so scraping them must not be a way around its limit.
SHARING_VIEWS = {"search.search_page": "api_public", "search.browse_page": "api_public",
                 "search.search_csv": "api_public"}
# view endpoint -> the config key that holds its limit (POSTs only: guessing passwords, creating
# accounts in bulk, and sending reset mail)
LIMITED_VIEWS = {"accounts.login": "LOGIN_RATE_LIMIT", "accounts.register": "REGISTER_RATE_LIMIT",
                 # Each request may send a mail: few per address (and catalog.accounts.resets caps
                 # the links per account, whichever addresses ask).
                 "passwords.forgot_password": "PASSWORD_RESET_RATE_LIMIT",
                 # The current password is guessed here as on the login form.
                 "passwords.change_password": "LOGIN_RATE_LIMIT"}
DEFAULT_LIMITS = {"PUBLIC_API_RATE_LIMIT": "120/minute", "AUTOCOMPLETE_RATE_LIMIT": "600/minute",
                  "LOGIN_RATE_LIMIT": "10/minute",
                  # A few people behind one office address may register in a morning; a script may not.
                  "REGISTER_RATE_LIMIT": "5/minute;20/hour",
                  "PASSWORD_RESET_RATE_LIMIT": "5/minute;20/hour"}
# A counter that cannot be reached within this long is treated as down (seconds).
STORAGE_TIMEOUT = 0.25


def _limit_from_config(key: str):
    return lambda: current_app.config[key]


def too_many_requests(exc: RateLimitExceeded):
    message = (f"too many requests from your address (the limit is {exc.description}); "
               "wait the number of seconds in Retry-After and try again")
    if request.path.startswith("/api/"):
        return json_error(429, "rate_limited", message)
    if request.endpoint in SHARING_VIEWS:
        return render_template("accounts/too_many.html", message=message, title="Too many searches",
                               back_url=url_for("public.index"), back_label="Back to the catalog"), 429
    return render_template("accounts/too_many.html", message=message, title="Too many attempts",
                           back_url=url_for(request.endpoint) if request.endpoint else url_for("public.index"),
                           back_label="Back to the form"), 429


def init_app(app: Flask) -> Limiter:
    """Call after the limited blueprints are registered."""
    settings = app.config["SETTINGS"]
    for key, value in DEFAULT_LIMITS.items():
        app.config.setdefault(key, value)
    app.config.setdefault("RATELIMIT_ENABLED", not app.testing)
    limiter = Limiter(
        get_remote_address,
        storage_uri=limit_storage.storage_uri(settings.redis_url),
        storage_options={"socket_timeout": STORAGE_TIMEOUT, "socket_connect_timeout": STORAGE_TIMEOUT},
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", f"{settings.index_prefix}ratelimit"),
        headers_enabled=True,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    for name, key in LIMITED_BLUEPRINTS.items():
        if name in app.blueprints:
            # Shared: one allowance per client for all of a blueprint's endpoints, not one each.
            limiter.shared_limit(_limit_from_config(key), scope=name)(app.blueprints[name])
    for endpoint, scope in SHARING_VIEWS.items():
        if endpoint in app.view_functions:
            # The same scope and limit as the blueprint's, so Redis holds one counter for both.
            app.view_functions[endpoint] = limiter.shared_limit(
                _limit_from_config(LIMITED_BLUEPRINTS[scope]), scope=scope)(app.view_functions[endpoint])
    for endpoint, key in LIMITED_VIEWS.items():
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = limiter.limit(_limit_from_config(key), methods=["POST"])(
                app.view_functions[endpoint])
    app.register_error_handler(RateLimitExceeded, too_many_requests)

    @app.teardown_request
    def _forget_counts(_exc) -> None:
        limit_storage.forget_this_request()

    app.extensions["catalog_limiter"] = limiter
    return limiter
