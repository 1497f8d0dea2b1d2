"""Who may do what: every authoring API endpoint and every editor page, for six kinds of caller.

Each cell is its own test case (`pytest -k "editor_b and PATCH"`), so a hole shows up as exactly
one red cell. Editor page routes are read from app.url_map when the tests are collected, so a
route the editor gains joins the matrix without anyone editing this file; a route with a URL
argument this file cannot fill fails loudly rather than going untested.

  caller                         API                              editor pages
  anonymous                      401                              302 to the login page
  registered, no issuing org     403                              403
  editor of B, A's credential    404 (as if it did not exist)     404
  editor of B, no credential     200 (own list), 403 (create in A)  let in
  editors (not admins), Import   -                                403, or 404 for a job
  editor / admin of A            the endpoint's success status    200, 302, 400 or 422 (a bare form)
  platform admin                 the endpoint's success status    200, 302, 400 or 422

The app here runs with CSRF off: these cells are about who is let in, and a page POST without a
CSRF token would stop at 400 before the access check ran (tests/test_auth.py covers CSRF).
"""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from store.settings import Settings
from tests.support.factories import NURSING, make_credential
from tests.test_api_editor import API, archive_published, make_world

ACTORS = ("anonymous", "no_org", "editor_b", "editor_a", "admin_a", "platform_admin")
MAY_EDIT_A = {"editor_a", "admin_a", "platform_admin"}
PAGE_LET_IN = {200, 302, 400, 422}  # 400/422: let in, and told the empty form is incomplete

# endpoint -> the requests that exercise it: (method, path after /credentials, body, success status).
# "{id}" is a fresh draft of organization A; bodies marked "create", "put" and "patch" are built per cell.
API_REQUESTS = {
    "api_editor.list_credentials": [("GET", "", None, 200)],
    "api_editor.create_credential": [("POST", "", "create", 201)],
    "api_editor.get_credential": [("GET", "/{id}", None, 200)],
    "api_editor.replace_credential": [("PUT", "/{id}", "put", 200)],
    "api_editor.patch_credential": [("PATCH", "/{id}", "patch", 200)],
    "api_editor.change_status": [("POST", f"/{{id}}/{action}", None, 200)
                                 for action in ("publish", "unpublish", "archive")],
    "api_editor.add_note": [("POST", "/{id}/notes", {"body": "Checked the board's rules."}, 201)],
    "api_editor.credential_history": [("GET", "/{id}/history", None, 200)],
}

_IMPORT_JOBS: dict[int, int] = {}  # organization A's id -> its import job, made once


def _import_job_of_a(world, credential_id) -> int:
    """An import job of organization A, with a report, for the cells of the Import pages."""
    if world.org_a not in _IMPORT_JOBS:
        from catalog.imports import jobs
        from store.db import session_scope

        with session_scope(Settings.from_env().database_url) as s:
            job = jobs.create_table_job(s, world.org_a, None, "matrix.csv", b"Program Name\r\nMatrix course\r\n")
            job.state, job.report = "done", {"summary": {"created": 1, "updated": 0, "unchanged": 0, "failed": 0},
                                             "rows": []}
            s.flush()
            _IMPORT_JOBS[world.org_a] = job.id
    return _IMPORT_JOBS[world.org_a]


# How to fill each URL argument of an editor page; `world` and the fresh credential are at hand.
ROUTE_ARGUMENTS = {"credential_id": lambda world, credential_id: credential_id, "job_id": _import_job_of_a}


def _editor_page_rules() -> list[tuple[Rule, str]]:
    from webapp import create_app

    app = create_app(Settings.from_env())  # only its URL map is read; nothing is connected
    return [(rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("editor.")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


PAGE_RULES = _editor_page_rules()


@pytest.fixture(scope="module")
def matrix_app(settings, database):
    from webapp import create_app

    return create_app(settings, TESTING=True, WTF_CSRF_ENABLED=False)


@pytest.fixture(scope="module")
def world(database):
    made = make_world(database)
    yield made
    archive_published(database, made.org_a, made.org_b)


@pytest.fixture()
def credential_a(database, world) -> int:
    """A fresh, complete draft of organization A for every cell, so no cell sees another's changes."""
    return make_credential(database, world.org_a, publish=False, name="Matrix credential")


def _logged_in_client(app, world, actor: str):
    client = app.test_client()
    if actor != "anonymous":
        with client.session_transaction() as session:
            session["_user_id"] = world.session_ids[actor]
            session["_fresh"] = True
    return client


# --- the authoring API ----------------------------------------------------------------------


def _api_cells():
    for endpoint, requests in API_REQUESTS.items():
        for method, suffix, body, success in requests:
            for actor in ACTORS:
                yield pytest.param(actor, method, suffix, body, success, id=f"{actor}-{method} {API}{suffix}")


def api_expectation(actor: str, suffix: str, method: str, success: int) -> int:
    if actor == "anonymous":
        return 401
    if actor == "no_org":
        return 403
    if actor == "editor_b":
        if "{id}" in suffix:
            return 404
        return 403 if method == "POST" else 200  # creating in A is refused; listing shows B's own
    return success


@pytest.mark.parametrize("actor, method, suffix, body, success", list(_api_cells()))
def test_api(matrix_app, world, credential_a, database, actor, method, suffix, body, success):
    revision = _revision(database, credential_a)
    if isinstance(body, str):
        body = {"create": {**NURSING, "organization_id": world.org_a},
                "put": {**NURSING, "revision": revision, "name": "Replaced"},
                "patch": {"revision": revision, "description": "Patched."}}[body]
    headers = {"Authorization": f"Bearer {world.tokens[actor]}"} if actor != "anonymous" else {}
    response = matrix_app.test_client().open(API + suffix.format(id=credential_a), method=method, json=body,
                                             headers=headers)
    assert response.status_code == api_expectation(actor, suffix, method, success), response.get_data(as_text=True)
    assert response.is_json


def _revision(database, credential_id: int) -> int:
    from store.db import session_scope
    from store.models import Credential

    with session_scope(database, write=False) as s:
        return s.get(Credential, credential_id).revision


def test_every_api_endpoint_is_in_the_matrix(matrix_app):
    endpoints = {rule.endpoint for rule in matrix_app.url_map.iter_rules() if rule.endpoint.startswith("api_editor.")}
    assert endpoints == set(API_REQUESTS), "add the new endpoint to API_REQUESTS"


# --- the editor pages -----------------------------------------------------------------------


def _page_cells():
    for rule, method in PAGE_RULES:
        for actor in ACTORS:
            yield pytest.param(actor, rule, method, id=f"{actor}-{method} {rule.rule}")


def page_expectation(actor: str, rule: Rule) -> set[int]:
    if actor == "anonymous":
        return {302}
    if actor == "no_org":
        return {403}
    if rule.endpoint == "editor.imports" or rule.endpoint.startswith("editor.import_"):
        # Importing is for an organization's admins: editors are refused, and another
        # organization's jobs do not exist for them.
        if actor in ("editor_a", "editor_b"):
            return {404} if "job_id" in rule.arguments else {403}
        return PAGE_LET_IN
    if actor == "editor_b" and "credential_id" in rule.arguments:
        return {404}
    return PAGE_LET_IN


@pytest.mark.parametrize("actor, rule, method", list(_page_cells()))
def test_editor_page(matrix_app, world, credential_a, actor, rule, method):
    defaults = dict(rule.defaults or {})
    unknown = sorted(rule.arguments - set(defaults) - set(ROUTE_ARGUMENTS))
    if unknown:
        pytest.fail(f"{rule.rule} has URL argument(s) {unknown} the matrix cannot fill; add them to ROUTE_ARGUMENTS")
    values = {**defaults, **{name: ROUTE_ARGUMENTS[name](world, credential_a)
                             for name in rule.arguments - set(defaults)}}
    url = matrix_app.url_map.bind("localhost").build(rule.endpoint, values, method=method)
    response = _logged_in_client(matrix_app, world, actor).open(url, method=method, data={})
    assert response.status_code in page_expectation(actor, rule), (url, response.status_code)
    if actor == "anonymous":
        assert "/login" in response.headers["Location"]


def test_the_page_matrix_found_the_editor(matrix_app):
    assert any(rule.endpoint == "editor.my_credentials" for rule, _method in PAGE_RULES)


def test_b_never_sees_as_credentials_in_lists(matrix_app, world, credential_a, database):
    from store.db import session_scope
    from catalog.authoring.service import save_section
    from store.models import Credential
    from catalog.authoring.snapshot import section_snapshot

    secret = f"Unreleased {credential_a} draft"
    with session_scope(database) as s:
        credential = s.get(Credential, credential_a)
        save_section(s, None, credential, "details", {**section_snapshot(credential, "details"), "name": secret})
    page = _logged_in_client(matrix_app, world, "editor_b").get("/editor/").get_data(as_text=True)
    assert secret not in page
    listed = matrix_app.test_client().get(f"{API}?size=100", headers={"Authorization": f"Bearer {world.tokens['editor_b']}"})
    assert secret not in listed.get_data(as_text=True)
    assert secret in _logged_in_client(matrix_app, world, "editor_a").get("/editor/").get_data(as_text=True)


def test_a_logged_in_browser_may_use_the_api_when_csrf_is_off(matrix_app, world):
    """With CSRF switched off (as here), a session cookie works for writes like a token does."""
    client = _logged_in_client(matrix_app, world, "editor_a")
    response = client.post(API, json={**NURSING, "name": "Made from a browser session"})
    assert response.status_code == 201 and response.json["organization"]["id"] == world.org_a
