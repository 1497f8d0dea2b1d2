"""A published credential as a CTDL JSON-LD record: `/credentials/<id>.jsonld`, or
`/credentials/<id>` asked for with `Accept: application/ld+json` (webapp/public/search.py hands
such requests here). Drafts and unknown ids are 404, archived credentials 410, as on the page."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from catalog.ctdl.records import NotPublished, published_credential_record
from catalog.search.service import CredentialGone, CredentialNotFound, load_public_credential
from webapp.database import db
from webapp.errors import json_error

bp = Blueprint("ctdl_public", __name__)

JSONLD = "application/ld+json"


def wants_jsonld() -> bool:
    """Whether the client prefers JSON-LD to a page (browsers send text/html first)."""
    best = request.accept_mimetypes.best_match(["text/html", JSONLD, "application/json"])
    return best == JSONLD or (best == "application/json" and request.accept_mimetypes[JSONLD] > 0)


def jsonld_response(document: dict, status: int = 200) -> Response:
    response = Response(json.dumps(document, ensure_ascii=False), status=status, mimetype=JSONLD)
    response.headers["Vary"] = "Accept"
    return response


@bp.get("/credentials/<id:credential_id>.jsonld")
def credential_jsonld(credential_id: int):
    settings = current_app.config["SETTINGS"]
    try:
        return jsonld_response(published_credential_record(db(), settings.ctdl_base_uri, credential_id))
    except NotPublished:
        pass
    # The public page's rules decide between 404 and 410 (and which name an archived one shows).
    try:
        load_public_credential(db(), credential_id)
    except CredentialGone as exc:
        return _vary(json_error(410, "gone", f"{exc.name!r} was archived by its issuer and is no longer offered"))
    except CredentialNotFound:
        pass
    return _vary(json_error(404, "not_found", f"no published credential has the id {credential_id}"))


@bp.after_app_request
def _page_varies_by_accept(response: Response) -> Response:
    """The credential page's address answers HTML or JSON-LD by Accept: caches must keep both."""
    if request.endpoint == "search.credential_page":
        response.vary.add("Accept")
    return response


def _vary(response: Response) -> Response:
    response.headers["Vary"] = "Accept"
    return response
