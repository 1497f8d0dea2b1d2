"""Each request's id (store/request_ids.py): taken from `X-Request-ID` or made here, current while
the request runs (so log lines and outbox rows carry it), and sent back in the response header.

Its hooks are the app's first, so even a request that authentication turns away has an id.
"""
from __future__ import annotations

from flask import Flask, g, request

from store.request_ids import HEADER, accept_or_mint, reset_request_id, set_request_id


def _take_request_id() -> None:
    g.request_id = accept_or_mint(request.headers.get(HEADER))
    g.request_id_token = set_request_id(g.request_id)


def _send_request_id(response):
    if "request_id" in g:
        response.headers[HEADER] = g.request_id
    return response


def _forget_request_id(_exc) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        reset_request_id(token)


def init_app(app: Flask) -> None:
    """Call first in create_app: before_request hooks run in the order they were added."""
    app.before_request(_take_request_id)
    app.after_request(_send_request_id)
    app.teardown_request(_forget_request_id)
