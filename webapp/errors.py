"""Errors as JSON, one shape everywhere: `{"error": "<slug>", "message": "<what to do>", ...}`.

API paths (/api/ and /editor/api/) answer JSON for every error, including the 404 of a path that
does not exist and the 405 of a wrong method; pages answer HTML in the site's layout.
"""
from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

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


PAGE_TITLES = {404: "Page not found", 405: "That action is not available here"}


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
