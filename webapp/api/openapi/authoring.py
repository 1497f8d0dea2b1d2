"""The authoring API's part of the OpenAPI 3.0 document: path items, schemas, security scheme.

webapp/api/openapi/__init__.py assembles the published document from this fragment and the public one.
Paths are absolute (no `servers` prefix); schema names start with "Editor" so they never collide
with the public API's. Every answer webapp/api/editor.py can give is listed here, and
tests/test_api_editor.py runs schemathesis over this fragment to hold the two together.
"""
from __future__ import annotations

from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES, DURATION_UNITS, LIFECYCLES, MAX_ITEMS, MAX_LENGTH, RELATION_KINDS
from store.models import Status

AUTHORING_SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`cc_...`) from `catalog tokens create` or your account page.",
    },
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(ref("EditorError"), description)


TEXT = {"type": "string"}
TEXT_LIST = {"type": "array", "items": TEXT}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
TIMESTAMP = {"type": "string", "format": "date-time"}
STATUSES = [s.value for s in Status]


def _choice(values, nullable: bool = False) -> dict:
    return {"type": "string", "enum": ["", *values], **({"nullable": True} if nullable else {})}


DETAIL_PROPERTIES = {
    "name": {"type": "string", "maxLength": MAX_LENGTH["name"], "description": "Required."},
    "alternate_names": {**TEXT_LIST, "maxItems": MAX_ITEMS["alternate_names"]},
    "description": {"type": "string", "maxLength": MAX_LENGTH["description"], "description": "Required to publish."},
    "credential_type": {**_choice(CREDENTIAL_TYPES), "description": "Required to publish."},
    "url": {"type": "string", "description": "http:// or https:// address, or empty."},
    "cip_codes": {**TEXT_LIST, "maxItems": MAX_ITEMS["cip_codes"], "description": "CIP 2020 codes of the programs it follows."},
    "language": {"type": "string", "example": "en"},
    "cost": {"type": "object", "properties": {
        "amount": {"type": "string", "nullable": True, "example": "1250.00"},
        "currency": {"type": "string", "example": "USD"},
        "note": TEXT,
    }},
    "duration": {"type": "object", "properties": {
        "value": {"type": "integer", "nullable": True, "minimum": 1, "maximum": 100000},
        "unit": _choice(DURATION_UNITS),
    }},
    "delivery_mode": _choice(DELIVERY_MODES),
    "keywords": {**TEXT_LIST, "maxItems": MAX_ITEMS["keywords"]},
    "lifecycle": {"type": "string", "enum": list(LIFECYCLES)},
}

RELATION = {
    "type": "object",
    "description": "Either a credential in the catalog (`credential_id`: published, or a draft of the "
                   "same organization) or one outside it (`cip`, `type`, `name`).",
    "required": ["kind"],
    "properties": {
        "kind": {"type": "string", "enum": list(RELATION_KINDS), "description": "`required` = a prerequisite."},
        "credential_id": ID,
        "cip": TEXT,
        "type": {"type": "string", "enum": list(CREDENTIAL_TYPES)},
        "name": TEXT,
    },
}

SKILL = {
    "type": "object",
    "required": ["skill_id"],
    "properties": {
        "skill_id": TEXT,
        "min_level": {"type": "string", "description": "A level of the credential's scale, or empty."},
        "acquired_level": {"type": "string", "description": "Not below min_level."},
    },
}

CUSTOM_LEVEL = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "maxLength": MAX_LENGTH["code"]},
        "position": {"type": "integer", "minimum": 0, "maximum": 1000,
                     "description": "Index in the merged scale (default levels: None, Novice, Intermediate, "
                                    "Advanced, Expert)."},
    },
}

SKILLS_TAB = {
    "type": "object",
    "properties": {"custom_levels": {"type": "array", "items": CUSTOM_LEVEL},
                   "items": {"type": "array", "items": SKILL}},
}

PROGRAM = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "id": {**ID, "description": "Keep an existing program (from GET); leave out to add one."},
        "provider_org_id": {**ID, "nullable": True},
        "provider_name": {"type": "string", "description": "Needed when provider_org_id is not given."},
        "name": {"type": "string", "maxLength": MAX_LENGTH["name"]},
        "url": TEXT,
        "delivery_mode": _choice(DELIVERY_MODES, nullable=True),
        "duration": {"type": "object", "nullable": True, "properties": {
            "value": {"type": "integer", "nullable": True}, "unit": _choice(DURATION_UNITS, nullable=True)}},
        "cost": {"type": "string", "nullable": True},
        "location": {"type": "string", "nullable": True},
        "cip": {"type": "string", "nullable": True},
    },
}

NOTE = {
    "type": "object",
    "required": ["id", "body", "author", "created_at"],
    "properties": {"id": ID, "body": TEXT, "author": {"type": "string", "nullable": True}, "created_at": TIMESTAMP},
}

REVISION_ENTRY = {
    "type": "object",
    "required": ["revision", "section", "by", "changes"],
    "properties": {
        "revision": {"type": "integer"},
        "section": TEXT,
        "by": {"type": "string", "description": "The editor's email, or `system`."},
        "at": {**TIMESTAMP, "nullable": True},
        "changes": {"type": "object", "description": "field -> [before, after]",
                    "additionalProperties": {"type": "array", "minItems": 2, "maxItems": 2, "items": {}}},
    },
}

ORGANIZATION = {"type": "object", "required": ["id", "name"], "properties": {"id": ID, "name": TEXT}}

TABS_INPUT = {
    **DETAIL_PROPERTIES,
    "details": {"type": "object", "properties": DETAIL_PROPERTIES,
                "description": "The detail fields, instead of sending them at the top level."},
    "occupations": {**TEXT_LIST, "maxItems": MAX_ITEMS["occupations"], "description": "O*NET-SOC codes."},
    "sectors": {**TEXT_LIST, "maxItems": MAX_ITEMS["sectors"], "description": "NAICS codes."},
    "related": {"type": "array", "items": RELATION},
    "skills": {"oneOf": [{"type": "array", "items": SKILL}, SKILLS_TAB],
               "description": "A list of skills (with `custom_levels` beside it), or GET's object."},
    "custom_levels": {"type": "array", "items": CUSTOM_LEVEL},
    "programs": {"type": "array", "items": PROGRAM},
}

READ_ONLY_ECHO = {name: {"readOnly": True, "description": "Ignored: GET returns it, so a GET answer can be sent back."}
                  for name in ("id", "status", "organization", "created_at", "updated_at", "published_at")}

IGNORED_ON_INPUT = "Read-only fields GET returns (id, status, organization, created_at, updated_at, published_at) are " \
                   "accepted and ignored, so a GET answer can be sent back; any other unknown field is refused."

AUTHORING_SCHEMAS = {
    "EditorError": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "example": "validation"},
            "message": {"type": "string", "description": "What went wrong, in words a person can act on."},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "field -> message, for invalid data (`related[2].cip`, `cost.amount`, ...)."},
            "missing": {**TEXT_LIST, "description": "What a credential still needs before it can be published."},
        },
    },
    "EditorConflict": {
        "type": "object",
        "required": ["error", "message", "current_revision", "changes"],
        "properties": {
            "error": {"type": "string", "enum": ["conflict"]},
            "message": TEXT,
            "current_revision": {"type": "integer"},
            "changes": {"type": "array", "items": ref("EditorRevisionEntry"),
                        "description": "The saves made to the same tabs since the revision you started from."},
        },
    },
    "EditorArchived": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "enum": ["archived"]},
            "message": {**TEXT, "description": "Says how to unarchive it: POST .../unpublish or .../publish."},
        },
    },
    "EditorRevisionEntry": REVISION_ENTRY,
    "EditorNote": NOTE,
    "EditorCredential": {
        "type": "object",
        "required": ["id", "revision", "status", "organization", *DETAIL_PROPERTIES, "occupations", "sectors",
                     "related", "skills", "programs", "created_at", "updated_at", "published_at"],
        "properties": {
            "id": ID,
            "revision": {"type": "integer", "description": "Send it back with PUT/PATCH."},
            "status": {"type": "string", "enum": STATUSES},
            "organization": ORGANIZATION,
            **DETAIL_PROPERTIES,
            "credential_type": _choice(CREDENTIAL_TYPES),
            "occupations": TEXT_LIST,
            "sectors": TEXT_LIST,
            "related": {"type": "array", "items": RELATION},
            "skills": SKILLS_TAB,
            "programs": {"type": "array", "items": {**PROGRAM, "required": ["id", "name"]}},
            "created_at": TIMESTAMP,
            "updated_at": TIMESTAMP,
            "published_at": {**TIMESTAMP, "nullable": True},
            "notes": {"type": "array", "items": ref("EditorNote")},
        },
    },
    "EditorCredentialSummary": {
        "type": "object",
        "required": ["id", "name", "status", "revision", "organization", "updated_at"],
        "properties": {"id": ID, "name": TEXT, "status": {"type": "string", "enum": STATUSES},
                       "revision": {"type": "integer"}, "organization": ORGANIZATION, "updated_at": TIMESTAMP},
    },
    "EditorCredentialPage": {
        "type": "object",
        "required": ["items", "page", "size", "total"],
        "properties": {"items": {"type": "array", "items": ref("EditorCredentialSummary")},
                       "page": {"type": "integer"}, "size": {"type": "integer"}, "total": {"type": "integer"}},
    },
    "EditorHistory": {
        "type": "object",
        "required": ["credential_id", "revision", "items"],
        "properties": {"credential_id": ID, "revision": {"type": "integer"},
                       "items": {"type": "array", "items": ref("EditorRevisionEntry"),
                                 "description": "Newest first."}},
    },
    "EditorCredentialCreate": {
        "type": "object",
        "description": "`name` is required (at the top level or in `details`). " + IGNORED_ON_INPUT,
        "additionalProperties": False,
        "anyOf": [{"required": ["name"]}, {"required": ["details"]}],
        "properties": {
            "organization_id": {**ID, "description": "Optional when you edit for exactly one organization."},
            **TABS_INPUT,
            "notes": {"type": "array", "items": ref("EditorNoteCreate")},
            **READ_ONLY_ECHO,
            "revision": READ_ONLY_ECHO["id"],
        },
    },
    "EditorCredentialUpdate": {
        "type": "object",
        "required": ["revision"],
        "description": "PUT replaces every tab: a tab left out is saved empty. PATCH saves only the tabs present "
                       "and merges detail fields into the current details. Notes are added with POST .../notes "
                       "and ignored here. " + IGNORED_ON_INPUT,
        "additionalProperties": False,
        "properties": {
            "revision": {"type": "integer", "minimum": 0, "description": "The revision your changes started from."},
            **TABS_INPUT,
            **READ_ONLY_ECHO,
            "notes": READ_ONLY_ECHO["id"],
        },
    },
    "EditorStatusChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"revision": {"type": "integer", "minimum": 0, "nullable": True,
                                    "description": "Optional: refuse with 409 if someone changed the status since."}},
    },
    "EditorNoteCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["body"],
        "properties": {"body": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH["note"]}},
    },
}

CREDENTIAL_ID = {"name": "credential_id", "in": "path", "required": True, "schema": ID}
SECURITY = [{"bearerAuth": []}]
UNAUTHORIZED = _error("No API token (or session), or one that is not valid or revoked.")
FORBIDDEN = _error("You are not a member of an organization that issues or verifies credentials.")
NOT_FOUND = _error("No such credential among those you edit (another organization's answers the same).")
INVALID = _error("Invalid data: `fields` has a message per field.")
NOT_JSON = _error("The body is not JSON (send Content-Type: application/json).")
CONFLICT = _json(ref("EditorConflict"), "Someone saved the same tab since your revision, or the revision is "
                                         "ahead of the credential's; nothing was saved.")
SAVE_CONFLICT = _json({"oneOf": [ref("EditorConflict"), ref("EditorArchived")]},
                      "Someone saved the same tab since your revision, or the revision is ahead of the credential's "
                      "(`conflict`); or the credential is archived (`archived`: unarchive it with .../unpublish or "
                      ".../publish first). Nothing was saved.")
EDITOR_VIEW = _json(ref("EditorCredential"), "The credential as its editors see it, notes included.")
TAGS = ["Authoring"]


def _operation(summary: str, responses: dict, **extra) -> dict:
    return {"tags": TAGS, "summary": summary, "security": SECURITY,
            "responses": {**responses, "401": UNAUTHORIZED, "403": FORBIDDEN}, **extra}


def _body(name: str, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": ref(name)}}}


def _status_change(summary: str, description: str) -> dict:
    return {"parameters": [CREDENTIAL_ID], "post": _operation(
        summary, {"200": EDITOR_VIEW, "400": INVALID, "404": NOT_FOUND, "409": CONFLICT, "415": NOT_JSON},
        description=description, requestBody=_body("EditorStatusChange", required=False))}


BASE = "/api/v1/editor/credentials"

AUTHORING_PATHS = {
    BASE: {
        "get": _operation(
            "Credentials of the organizations you edit",
            {"200": _json(ref("EditorCredentialPage"), "One page, most recently updated first."), "400": INVALID},
            description="Platform admins see every organization's credentials.",
            parameters=[
                {"name": "org", "in": "query", "schema": ID, "description": "Only this organization's."},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": STATUSES}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100000,
                                                           "default": 1}},
                {"name": "size", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                           "default": 20}},
            ]),
        "post": _operation(
            "Create a draft credential, with any of its tabs and notes",
            {"201": {**EDITOR_VIEW, "headers": {"Location": {"schema": TEXT, "description": "Its address."}}},
             "400": INVALID, "415": NOT_JSON},
            description="All of it is saved, or nothing. Answers 403 when you do not edit `organization_id`.",
            requestBody=_body("EditorCredentialCreate")),
    },
    BASE + "/{credential_id}": {
        "parameters": [CREDENTIAL_ID],
        "get": _operation("A credential, with its notes", {"200": EDITOR_VIEW, "404": NOT_FOUND}),
        "put": _operation(
            "Replace every tab",
            {"200": EDITOR_VIEW, "400": INVALID, "404": NOT_FOUND, "409": SAVE_CONFLICT, "415": NOT_JSON},
            description="Tabs missing from the body are saved empty. All tabs are saved in one transaction.",
            requestBody=_body("EditorCredentialUpdate")),
        "patch": _operation(
            "Change some tabs",
            {"200": EDITOR_VIEW, "400": INVALID, "404": NOT_FOUND, "409": SAVE_CONFLICT, "415": NOT_JSON},
            description="Only the tabs in the body; detail fields are merged into the current details.",
            requestBody=_body("EditorCredentialUpdate")),
    },
    BASE + "/{credential_id}/publish": _status_change(
        "Publish", "Answers 400 with `missing` when the credential lacks what publishing needs."),
    BASE + "/{credential_id}/unpublish": _status_change("Back to draft", "Takes it out of public search."),
    BASE + "/{credential_id}/archive": _status_change("Archive", "Takes it out of public search."),
    BASE + "/{credential_id}/notes": {
        "parameters": [CREDENTIAL_ID],
        "post": _operation(
            "Add a contributor note (seen by editors, never the public)",
            {"201": _json(ref("EditorNote"), "The note."), "400": INVALID, "404": NOT_FOUND, "415": NOT_JSON},
            requestBody=_body("EditorNoteCreate")),
    },
    BASE + "/{credential_id}/history": {
        "parameters": [CREDENTIAL_ID],
        "get": _operation("Who changed what, newest first",
                          {"200": _json(ref("EditorHistory"), "The revisions."), "404": NOT_FOUND}),
    },
}
