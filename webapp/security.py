"""The key that signs sessions.

- `require_secret_key` runs in create_app before anything else: in production (`CATALOG_ENV`,
  see store/settings.py) the app refuses to start with a missing, short or public SECRET_KEY,
  so gunicorn's workers fail to boot with a message that says how to set one. Development and
  tests without a key get a random one that lives as long as the process.
"""
from __future__ import annotations

import logging
import secrets

from flask import Flask

from store.settings import ConfigurationError, Settings, secret_key_problem

log = logging.getLogger(__name__)


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
