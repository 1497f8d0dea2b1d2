"""Errors as JSON, one shape everywhere: `{"error": "<slug>", "message": "<what to do>", ...}`.

API paths (/api/ and /editor/api/) answer JSON for every error, including the 404 of a path that
does not exist and the 405 of a wrong method; pages answer HTML in the site's layout.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from webapp.database import is_transient

API_PREFIXES = ("/api/", "/editor/api/")


def json_error(status: int, error: str, message: str, **extra) -> Response:
    response = jsonify(error=error, message=message, **extra)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def http_error_json(exc: HTTPException) -> Response:
    response = json_error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIXES)


PAGE_TITLES = {404: "Page not found", 405: "That action is not available here", 503: "Busy, please try again"}
BUSY = ("Other changes to the same records were being saved at the same moment, and this one could "
        "not get in after several tries. Nothing was saved; please send it again.")


def http_error_page(exc: HTTPException) -> Response:
    """The error as a page in the site's layout (a URL that matches no route, an id out of range)."""
    body = render_template("accounts/error.html", title=PAGE_TITLES.get(exc.code, exc.name),
                           message=exc.description)
    response = Response(body, status=exc.code, mimetype="text/html")
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def init_app(app: Flask) -> None:
    # Routing errors happen before any blueprint is chosen, so only app-wide handlers see them.
    # That includes ids the `id` converter refuses (webapp/converters.py).
    @app.errorhandler(404)
    @app.errorhandler(405)
    def _routing_error(exc: HTTPException):
        if is_api_request():
            return http_error_json(exc)
        return http_error_page(exc)

    @app.errorhandler(DBAPIError)
    def _lost_every_lock_race(error: DBAPIError):
        """webapp.database retried the request; what still conflicts is a 503, never a 500."""
        if not is_transient(error):
            raise error
        busy = ServiceUnavailable(BUSY)
        response = http_error_json(busy) if is_api_request() else http_error_page(busy)
        response.headers["Retry-After"] = "1"
        return response
