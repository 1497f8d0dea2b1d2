"""The API keeps the promises of /api/v1/openapi.json: schemathesis generates requests from it.

Every public operation, and the authoring API's read operations with a valid Bearer token, get
about 30 generated cases each, valid and invalid. A case fails on any 5xx, on a status code or a
body the document does not list, or on invalid input that is accepted. Writes to the authoring
API are left to tests/test_api_editor.py: random credentials published into the shared test index
would change what other test modules count.
"""
from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from webapp.api.openapi import openapi_document

pytestmark = pytest.mark.slow

# About 30 cases per operation keeps the run well under two minutes; SCHEMATHESIS_EXAMPLES=300
# digs deeper when the API or the document changes.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 30))


@pytest.fixture(scope="module")
def editor_token(database) -> str:
    from store.db import session_scope
    from catalog.accounts import service as accounts

    with session_scope(database) as s:
        org = accounts.create_org(s, f"Schemathesis Org {uuid.uuid4().hex[:6]}", ["issuer"])
        user = accounts.create_user(s, f"schemathesis-{uuid.uuid4().hex[:6]}@example.org", "correct horse battery")
        accounts.grant(s, user, org, "editor")
        _, token = accounts.create_token(s, user, "schemathesis")
    return token


# The document is the one the app serves (test_the_document_is_served checks that). It is loaded at
# import rather than from the app through schemathesis.pytest.from_fixture, whose lazy loader
# reads a pytest-internal attribute that pytest 9 removed.
def operations(path_regex: str, modes=tuple(GenerationMode)):
    selected = schemathesis.openapi.from_dict(openapi_document()).include(method="GET", path_regex=path_regex)
    # Unknown query parameters are ignored by design (documented), so adding some is not invalid input.
    selected.config.generation.update(modes=list(modes), allow_extra_parameters=False)
    return selected


public_api = operations("^/(api/v1/(search|credentials|openapi|ctdl)|healthz)")
# Autocomplete (webapp/api/autocomplete.py) takes an empty `size=` as the default, which schemathesis
# counts as invalid input accepted; its own tests cover bad input, so here it gets valid requests.
autocomplete = operations("^/api/v1/autocomplete", modes=[GenerationMode.POSITIVE])
# Suggestions get valid and invalid requests; a well-formed code can still be unknown (OpenAPI
# cannot list the codes), and refusing it is the documented 400.
suggestions = operations("^/api/v1/suggest")
# Likewise the authoring API's own tests (tests/test_api_editor.py) own its invalid-input cases;
# here its reads get valid requests with a real token: no 5xx, and answers as documented.
authoring_reads = operations("^/api/v1/editor", modes=[GenerationMode.POSITIVE])
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                             HealthCheck.function_scoped_fixture])


def valid_input_is_refused_only_past_the_result_window(ctx, response, case):
    """Stands in for schemathesis' positive_data_acceptance. OpenAPI cannot say "page × size at
    most 10,000", so a schema-valid search may be refused for that, and for nothing else."""
    meta = case._meta  # schemathesis keeps the generation mode here; there is no public accessor
    if meta is None or meta.generation.mode.is_negative or response.status_code != 400:
        return None
    body = response.json()
    if case.path == "/api/v1/search" and body.get("param") == "page" and "10,000" in body.get("message", ""):
        return None
    if case.path.startswith("/api/v1/suggest/") and body.get("message", "").startswith("unknown "):
        return None
    raise AssertionError(f"a schema-valid request was refused: {body}")


def call_and_validate(case, app, headers=None):
    case.operation.schema.app = app  # the WSGI app answers the checks' own probes too
    case.call_and_validate(app=app, base_url="http://localhost", headers=headers,
                           excluded_checks=[positive_data_acceptance],
                           additional_checks=[valid_input_is_refused_only_past_the_result_window])


@public_api.parametrize()
@HYPOTHESIS
def test_public_api_conforms_to_its_openapi_document(case, app, indices):
    call_and_validate(case, app)


@autocomplete.parametrize()
@HYPOTHESIS
def test_autocomplete_conforms_to_its_openapi_document(case, app, indices):
    call_and_validate(case, app)


@suggestions.parametrize()
@HYPOTHESIS
def test_suggestions_conform_to_their_openapi_document(case, app, indices):
    call_and_validate(case, app)


@authoring_reads.parametrize()
@HYPOTHESIS
def test_authoring_reads_conform_to_the_openapi_document(case, app, indices, editor_token):
    call_and_validate(case, app, headers={"Authorization": f"Bearer {editor_token}"})


def test_the_document_is_served_and_lists_both_halves(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document == openapi_document()
    assert document["openapi"] == "3.0.3"
    assert {"/api/v1/search", "/api/v1/credentials/{credential_id}", "/api/v1/autocomplete/{vocabulary}",
            "/api/v1/suggest/skills", "/api/v1/suggest/occupations", "/api/v1/suggest/programs",
            "/healthz"} <= set(document["paths"])
    assert any(path.startswith("/api/v1/editor") for path in document["paths"])
    assert "bearerAuth" in document["components"]["securitySchemes"]
