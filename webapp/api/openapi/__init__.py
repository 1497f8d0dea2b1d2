"""GET /api/v1/openapi.json: one OpenAPI 3.0.3 document for the public and the authoring API.

The public half is public.py beside this file; the authoring half (AUTHORING_PATHS,
AUTHORING_SCHEMAS) is authoring.py. The document is
assembled once per process; a schema name defined by both halves is a mistake and fails loudly.
"""
from __future__ import annotations

from functools import cache

from flask import Blueprint, jsonify

from webapp.api.openapi.authoring import AUTHORING_PATHS, AUTHORING_SCHEMAS, AUTHORING_SECURITY_SCHEMES
from webapp.api.openapi.public import PUBLIC_PATHS, PUBLIC_SCHEMAS

bp = Blueprint("openapi", __name__)

INFO = {
    "title": "Credential Catalog API",
    "version": "1",
    "description": "Search published workforce credentials (no login, rate-limited per address), and "
                   "author credentials with an API token (`Authorization: Bearer cc_...`). Errors are "
                   "JSON `{\"error\", \"message\"}`.",
}


@cache
def openapi_document() -> dict:
    paths, schemas, security_schemes = AUTHORING_PATHS, AUTHORING_SCHEMAS, AUTHORING_SECURITY_SCHEMES
    clashes = set(schemas) & set(PUBLIC_SCHEMAS)
    if clashes:
        raise ValueError(f"schemas defined by both API halves: {', '.join(sorted(clashes))}")
    overlapping = set(paths) & set(PUBLIC_PATHS)
    if overlapping:
        raise ValueError(f"paths defined by both API halves: {', '.join(sorted(overlapping))}")
    document = {
        "openapi": "3.0.3",
        "info": INFO,
        "servers": [{"url": "/"}],
        "tags": [{"name": "public", "description": "Search and read published credentials; no login"}],
        "paths": {**PUBLIC_PATHS, **paths},
        "components": {"schemas": {**PUBLIC_SCHEMAS, **schemas}},
    }
    if security_schemes:
        document["components"]["securitySchemes"] = security_schemes
        document["tags"].append({"name": "authoring", "description": "Credentials of your organizations; "
                                                                     "needs an API token"})
    return document


@bp.get("/api/v1/openapi.json")
def openapi_json():
    response = jsonify(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
