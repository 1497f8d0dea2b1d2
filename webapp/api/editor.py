"""The authoring API, /api/v1/editor: credentials for scripts and integrations, as JSON.

Who: a Bearer token (or a logged-in session) for a member of an issuing or verifying
organization, or a platform admin. A credential of an organization the caller does not edit
answers 404, exactly like an id that does not exist, so ids cannot be probed.

What: every rule lives in catalog.authoring.service, so this API and the editor pages accept and
refuse the same things. A body has the shape GET returns, so a client can GET, change, and send
it back: detail fields at the top level (or inside "details"), then the tabs "occupations",
"sectors", "related", "skills" (a list, with "custom_levels" beside it, or GET's
{"custom_levels", "items"} object) and "programs". Read-only fields of GET's answer (id, status,
organization, timestamps, notes) are ignored on update; anything else unknown is refused, so a
misspelt tab is never silently saved as empty.

- PUT replaces every tab: a tab left out of the body is saved empty.
- PATCH saves only the tabs the body carries; its detail fields are merged into the current
  details (and "cost"/"duration" into theirs), so `{"revision": 4, "url": "..."}` works.
- Both name the `revision` the client started from. If someone saved the same tab since then,
  nothing is saved and 409 lists their changes. All tabs of one request are saved in one
  transaction, or none is.

Errors are JSON `{"error", "message"}`, plus "fields" (field -> message) for invalid data.
"""
from __future__ import annotations

import json
import math

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from store.models import MAX_ID, Credential, Note, Organization, Status
from webapp.auth import authenticate_api, authoring_memberships, csrf, current_actor
from catalog.authoring import service
from catalog.authoring.snapshot import editor_view, section_snapshot
from catalog.authoring.validation import ValidationError
from webapp.database import db
from webapp.errors import http_error_json, json_error

bp = authenticate_api(Blueprint("api_editor", __name__, url_prefix="/api/v1/editor"))
# A Bearer token stands in for the CSRF token (see webapp.auth). Cookie sessions are still
# checked, in _editors_only, *after* the 401 check, so an anonymous POST answers 401, not 400.
csrf.exempt(bp)

DETAIL_FIELDS = ("name", "alternate_names", "description", "credential_type", "url", "cip_codes", "language",
                 "cost", "duration", "delivery_mode", "keywords", "lifecycle")
LIST_TABS = ("occupations", "sectors", "related", "programs")
TABS = ("details", *LIST_TABS, "skills")
READ_ONLY = ("id", "status", "organization", "created_at", "updated_at", "published_at")
CREATE_KEYS = {"organization_id", "details", *DETAIL_FIELDS, *TABS, "custom_levels", "notes", *READ_ONLY, "revision"}
UPDATE_KEYS = {"revision", "details", *DETAIL_FIELDS, *TABS, "custom_levels", "notes", *READ_ONLY}
STATUS_VALUES = tuple(s.value for s in Status)
STATUS_ACTIONS = {"publish": Status.published.value, "unpublish": Status.draft.value,
                  "archive": Status.archived.value}
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000


class ApiError(Exception):
    """Answered as `{"error": error, "message": message, **extra}` with `status`."""

    def __init__(self, status: int, error: str, message: str, **extra):
        super().__init__(message)
        self.status, self.error, self.message, self.extra = status, error, message, extra


def invalid(fields: dict[str, str], message: str | None = None, **extra) -> ApiError:
    summary = message or "the request has invalid fields: " + "; ".join(f"{k}: {v}" for k, v in list(fields.items())[:5])
    return ApiError(400, "validation", summary, fields=fields, **extra)


# --- who may call ---------------------------------------------------------------------------


def editable_orgs() -> set[int] | None:
    """Ids of the organizations the caller edits; None for a platform admin (every one)."""
    return g.api_orgs


@bp.before_request
def _editors_only():
    user = current_actor()  # authenticate_api's hook already answered 401 for anonymous callers
    if g.get("bearer_user") is None and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()  # a cookie session: the same check webapp.auth applies to pages
    g.api_orgs = None if user.is_platform_admin else {m.org_id for m in authoring_memberships(user)}
    if g.api_orgs is not None and not g.api_orgs:
        raise ApiError(403, "forbidden", "you are not a member of an organization that issues or verifies "
                                         "credentials; ask for access from your account page")


def find_credential(credential_id: int) -> Credential:
    """The credential, if it exists and the caller edits its organization; otherwise 404.

    The `id` converter has already refused ids out of range, so this is one primary-key lookup.
    """
    credential = db().get(Credential, credential_id)
    orgs = editable_orgs()
    if credential is None or (orgs is not None and credential.org_id not in orgs):
        raise ApiError(404, "not_found", f"no credential {credential_id} among those you edit")
    return credential


# --- errors ---------------------------------------------------------------------------------


def _rollback() -> None:
    session = g.get("db")
    if session is not None:
        session.rollback()


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    _rollback()
    return json_error(exc.status, exc.error, exc.message, **exc.extra)


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):
    missing = {"missing": exc.missing} if isinstance(exc, service.PublishError) else {}
    message = "to publish, add " + ", ".join(exc.missing) if missing else None
    return _api_error(invalid(exc.errors, message, **missing))


@bp.errorhandler(service.ConflictError)
def _conflict(exc: service.ConflictError):
    return _api_error(ApiError(409, "conflict", f"someone else changed the {exc.section} since your revision; "
                                                f"reload (now at revision {exc.current_revision})",
                               current_revision=exc.current_revision, changes=exc.changes))


@bp.errorhandler(service.ArchivedError)
def _archived(exc: service.ArchivedError):
    url = url_for(".get_credential", credential_id=exc.credential_id)
    return _api_error(ApiError(409, "archived", f"{exc}: POST {url}/unpublish (or {url}/publish), then save"))


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    _rollback()
    return json_error(400, "csrf_failed", f"{exc.description} Send an API token instead of a session "
                                          "cookie, or the page's CSRF token as X-CSRFToken.")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    _rollback()
    return http_error_json(exc)


# --- reading the request --------------------------------------------------------------------


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large a number")
    return number


JSON_WHITESPACE = b" \t\r\n"


def json_body(required: bool = True) -> dict:
    """The body as a JSON object. Strict JSON: NaN, Infinity and overflowing numbers are refused."""
    raw = request.get_data(cache=True)
    # Only JSON's own whitespace makes a body empty: bytes.strip() would also take a form feed or a
    # vertical tab, which are not JSON, for nothing.
    if not raw.strip(JSON_WHITESPACE) and not required:
        return {}
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send a JSON object with Content-Type: application/json")
    try:
        body = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError too
        raise ApiError(400, "bad_request", f"the body is not valid JSON ({str(exc)[:200]})") from None
    if not isinstance(body, dict):
        raise invalid({"body": "must be a JSON object"}, "the body must be a JSON object")
    return body


def _refuse_unknown(body: dict, accepted: set[str]) -> None:
    unknown = sorted(k for k in body if k not in accepted)
    if unknown:
        raise invalid({k: "unknown field" for k in unknown[:20]},
                      f"unknown field(s): {', '.join(unknown[:20])[:500]}; the fields are those GET returns")


def base_revision(body: dict, required: bool = True) -> int | None:
    value = body.get("revision")
    if value is None:
        if required:
            raise invalid({"revision": "is required: send the revision your changes started from (GET shows it)"})
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid({"revision": "must be a whole number, the revision your changes started from"})
    return value


def refuse_future(credential: Credential, revision: int | None) -> None:
    """A revision the credential never had cannot be where the client started: it holds stale state."""
    if revision is not None and revision > credential.revision:
        raise ApiError(409, "conflict", f"revision {revision} is ahead of the credential, which is at revision "
                                        f"{credential.revision}; reload it and apply your changes again",
                       current_revision=credential.revision, changes=[])


def _whole(name: str, default: int, low: int, high: int) -> int:
    text = request.args.get(name)
    if text is None:
        return default
    # The length check first: int() refuses thousands of digits with a ValueError (a 500).
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(high))) or not low <= int(text) <= high:
        raise invalid({name: f"must be a whole number from {low} to {high}"})
    return int(text)


def tab_payloads(body: dict, current: Credential | None, replace_all: bool) -> dict[str, object]:
    """What each tab should become, in the order the service saves them.

    `replace_all` (create, PUT): missing tabs become empty. Otherwise (PATCH) only tabs the body
    carries, with detail fields merged into `current`'s details.
    """
    given = [k for k in DETAIL_FIELDS if k in body]
    if "details" in body and given:
        raise invalid({"details": "send the detail fields inside \"details\" or at the top level, not both"})
    details = body["details"] if "details" in body else {k: body[k] for k in given} if given else None
    payloads: dict[str, object] = {}
    if replace_all:
        payloads["details"] = details if details is not None else {}
    elif details is not None:
        payloads["details"] = _merged(section_snapshot(current, "details"), details)
    for tab in LIST_TABS:
        if replace_all or tab in body:
            payloads[tab] = body.get(tab) if body.get(tab) is not None else []
    skills = _skills_payload(body, current, replace_all)
    if skills is not None:
        payloads["skills"] = skills
    return payloads


def _merged(current: dict, changes):
    if not isinstance(changes, dict):
        return changes  # the service answers "details: must be an object"
    merged = {**current, **changes}
    for part in ("cost", "duration"):
        if isinstance(current.get(part), dict) and isinstance(changes.get(part), dict):
            merged[part] = {**current[part], **changes[part]}
    return merged


def _skills_payload(body: dict, current: Credential | None, replace_all: bool):
    if not (replace_all or "skills" in body or "custom_levels" in body):
        return None
    skills = body.get("skills")
    if isinstance(skills, dict):
        if "custom_levels" in body:
            raise invalid({"custom_levels": "send custom_levels inside the skills object or beside it, not both"})
        return skills
    kept = section_snapshot(current, "skills") if current is not None and not replace_all else {}
    return {
        "items": skills if "skills" in body and skills is not None else kept.get("items", []),
        "custom_levels": (body.get("custom_levels") or []) if "custom_levels" in body else kept.get("custom_levels", []),
    }


# --- saving ---------------------------------------------------------------------------------


def save_tabs(credential: Credential, payloads: dict[str, object], revision: int | None) -> None:
    """Save every tab as one change (one revision, one history entry), or raise: conflicts first
    (409), else every tab's field messages together (400)."""
    refuse_future(credential, revision)
    try:
        service.save_sections(db(), current_actor(), credential, payloads, revision)
    except service.ConflictError as exc:
        tabs = sorted({c["section"] for c in exc.changes})
        raise ApiError(409, "conflict", f"since revision {revision}, someone else saved {', '.join(tabs)}; nothing "
                                        f"was saved. Reload (now at revision {exc.current_revision}) and apply your "
                                        f"changes again", current_revision=exc.current_revision, changes=exc.changes)
    except ValidationError as exc:
        raise invalid(exc.errors)


def add_notes(credential: Credential, notes) -> None:
    if not isinstance(notes, list):
        raise invalid({"notes": "must be a list of notes, each {\"body\": text}"})
    errors = {}
    for i, note in enumerate(notes):
        try:
            service.add_note(db(), current_actor(), credential, note)
        except ValidationError as exc:
            errors.update({f"notes[{i}].{field}": message for field, message in exc.errors.items()})
    if errors:
        raise invalid(errors)


def _target_org(body: dict) -> int:
    orgs, org_id = editable_orgs(), body.get("organization_id")
    if org_id is None:
        if orgs is not None and len(orgs) == 1:
            return next(iter(orgs))
        choices = "" if orgs is None else f" (you edit {', '.join(map(str, sorted(orgs)))})"
        raise invalid({"organization_id": f"is required: say which organization issues the credential{choices}"})
    if isinstance(org_id, bool) or not isinstance(org_id, int):
        raise invalid({"organization_id": "must be an organization id"})
    if orgs is not None:
        if org_id not in orgs:
            raise ApiError(403, "forbidden", f"you are not an editor of organization {org_id}")
        return org_id
    org = db().get(Organization, org_id) if 0 < org_id <= MAX_ID else None
    if org is None:
        raise invalid({"organization_id": f"no organization {org_id}"})
    if not org.can_author:
        raise invalid({"organization_id": f"{org.name} does not issue or verify credentials"})
    return org_id


def commit_and_answer(show, status: int = 200, **headers):
    """Answer with `show()`, built before the commit so it shows exactly what was saved."""
    session = db()
    session.flush()
    body = show()
    session.commit()
    return jsonify(body), status, headers


def _summary(c: Credential) -> dict:
    return {"id": c.id, "name": c.name, "status": c.status, "revision": c.revision,
            "organization": {"id": c.org_id, "name": c.organization.name},
            "updated_at": c.updated_at.isoformat(timespec="seconds") + "Z"}


# --- endpoints ------------------------------------------------------------------------------


@bp.get("/credentials")
def list_credentials():
    page, size = _whole("page", 1, 1, MAX_PAGE), _whole("size", 20, 1, MAX_PAGE_SIZE)
    query = select(Credential)
    orgs = editable_orgs()
    if orgs is not None:
        query = query.where(Credential.org_id.in_(sorted(orgs)))
    if "org" in request.args:
        org_id = _whole("org", 0, 1, MAX_ID)
        if orgs is not None and org_id not in orgs:
            raise ApiError(403, "forbidden", f"you are not an editor of organization {org_id}")
        query = query.where(Credential.org_id == org_id)
    status = request.args.get("status")
    if status is not None:
        if status not in STATUS_VALUES:
            raise invalid({"status": f"must be one of {', '.join(STATUS_VALUES)}"})
        query = query.where(Credential.status == status)
    session = db()
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Credential.updated_at.desc(), Credential.id.desc())
                           .limit(size).offset((page - 1) * size)).all()
    return jsonify(items=[_summary(c) for c in rows], page=page, size=size, total=total)


@bp.post("/credentials")
def create_credential():
    body = json_body()
    _refuse_unknown(body, CREATE_KEYS)
    org_id = _target_org(body)
    payloads = tab_payloads(body, None, replace_all=True)
    credential = service.create_credential(db(), current_actor(), org_id, payloads.pop("details"))
    save_tabs(credential, payloads, None)
    if body.get("notes") is not None:
        add_notes(credential, body["notes"])
    location = url_for(".get_credential", credential_id=credential.id)
    return commit_and_answer(lambda: editor_view(credential), 201, Location=location)


@bp.get("/credentials/<id:credential_id>")
def get_credential(credential_id: int):
    return jsonify(editor_view(find_credential(credential_id)))


@bp.put("/credentials/<id:credential_id>")
def replace_credential(credential_id: int):
    return _update(credential_id, replace_all=True)


@bp.patch("/credentials/<id:credential_id>")
def patch_credential(credential_id: int):
    return _update(credential_id, replace_all=False)


def _update(credential_id: int, replace_all: bool):
    credential = find_credential(credential_id)
    body = json_body()
    _refuse_unknown(body, UPDATE_KEYS)
    revision = base_revision(body)
    save_tabs(credential, tab_payloads(body, credential, replace_all), revision)
    return commit_and_answer(lambda: editor_view(credential))


@bp.post("/credentials/<id:credential_id>/<any(publish, unpublish, archive):action>")
def change_status(credential_id: int, action: str):
    credential = find_credential(credential_id)
    body = json_body(required=False)
    _refuse_unknown(body, {"revision"})
    revision = base_revision(body, required=False)
    refuse_future(credential, revision)
    service.set_status(db(), current_actor(), credential, STATUS_ACTIONS[action], revision)
    return commit_and_answer(lambda: editor_view(credential))


@bp.post("/credentials/<id:credential_id>/notes")
def add_note(credential_id: int):
    credential = find_credential(credential_id)
    body = json_body()
    _refuse_unknown(body, {"body"})
    note = service.add_note(db(), current_actor(), credential, body.get("body"))
    return commit_and_answer(lambda: note_json(note), 201)


def note_json(note: Note) -> dict:
    return {"id": note.id, "body": note.body, "author": note.author.email if note.author else None,
            "created_at": note.created_at.isoformat(timespec="seconds") + "Z"}


@bp.get("/credentials/<id:credential_id>/history")
def credential_history(credential_id: int):
    credential = find_credential(credential_id)
    return jsonify(credential_id=credential.id, revision=credential.revision,
                   items=service.history(db(), credential))
