"""GET /api/v1/ctdl/credentials?page=N&size=M: every published credential as CTDL, for harvesters.

Pages are in id order, so a crawl that walks `next` sees each credential once even while new ones
are published (they come at the end). Rate-limited like the rest of the public API (limits.py).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from catalog.ctdl.records import count_published, credential_records
from webapp.api.params import size_arg
from webapp.database import db
from webapp.errors import json_error

bp = Blueprint("api_ctdl", __name__, url_prefix="/api/v1/ctdl")

DEFAULT_SIZE, MAX_SIZE = 50, 100
MAX_PAGE = 1_000_000


@bp.get("/credentials")
def credentials():
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7 and 1 <= int(raw) <= MAX_PAGE):
        return json_error(400, "bad_request", f"page must be a whole number from 1 to {MAX_PAGE}, not {raw[:20]!r}",
                          param="page")
    page = int(raw)
    size = size_arg(DEFAULT_SIZE, MAX_SIZE)
    if not isinstance(size, int):
        return size
    settings = current_app.config["SETTINGS"]
    total = count_published(db())
    records = list(credential_records(db(), settings.ctdl_base_uri, offset=(page - 1) * size, limit=size))
    more = page * size < total
    body = {"total": total, "page": page, "size": size,
            "next": url_for(".credentials", page=page + 1, size=size, _external=True) if more else None,
            "records": records}
    response = jsonify(body)
    if more:
        response.headers["Link"] = f'<{body["next"]}>; rel="next"'
    return response
