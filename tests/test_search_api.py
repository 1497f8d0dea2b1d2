"""The public search API against real OpenSearch, Redis and the database.

Credentials are published through the authoring service and reach the index through the outbox
and a real Celery worker. Other test modules share the index, so every search here is narrowed to
this module's own issuer, and facet assertions look only at values this module created.
"""
from __future__ import annotations

import socket
import uuid
from dataclasses import replace
from urllib.parse import quote

import pytest

from store.db import session_scope
from store.models import Credential
from tests.support.factories import make_credential, make_org_and_editor, set_status, wait_for
from catalog.authoring import service

pytestmark = pytest.mark.slow

RN, LPN, AIDE, WELDER = "29-1141.00", "29-2061.00", "31-1131.00", "51-4121.00"
READING, LISTENING = "2.A.1.a", "2.A.1.b"
SECRET_NOTE = "contributor note that must never be public"


@pytest.fixture(scope="module")
def catalog(settings, database, worker):
    url = settings.database_url
    org, _ = make_org_and_editor(url)
    ids = {
        # Its own text never says "RN" or "nurse": only the occupation's alternate titles do.
        "bedside": make_credential(url, org, name="Bedside Care Credential", credential_type="license",
                                   description="Care for patients at the bedside in hospitals.",
                                   delivery_mode="in_person", cip_codes=["51.3801"], occupations=(RN,),
                                   sectors=("622110",), skills=((READING, "Novice", "Advanced"),)),
        "practical": make_credential(url, org, name="Practical Nursing Certificate", credential_type="certificate",
                                     description="Training for licensed practical nurses.", delivery_mode="blended",
                                     cip_codes=["51.3901"], occupations=(LPN,), sectors=("62",),
                                     skills=((LISTENING, "None", "Intermediate"),)),
        "aide": make_credential(url, org, name="Nursing Assistant Badge", credential_type="badge",
                                description="Entry-level patient care.", delivery_mode="online",
                                cip_codes=["51.3902"], occupations=(AIDE,), sectors=("62",),
                                skills=((READING, "None", "Novice"), (LISTENING, "None", "Novice"))),
        "welding": make_credential(url, org, name="Structural Welding Certification", credential_type="certification",
                                   description="Structural steel welding to code.", delivery_mode="in_person",
                                   cip_codes=["48.0508"], occupations=(WELDER,), sectors=("3323",),
                                   skills=((READING, "Novice", "Intermediate"),)),
        "draft": make_credential(url, org, publish=False, name="Unpublished Draft Credential"),
        "archived": make_credential(url, org, name="Retired Welding Badge", credential_type="badge",
                                    occupations=(WELDER,), sectors=("3323",)),
    }
    with session_scope(url) as s:
        welding = s.get(Credential, ids["welding"])
        service.save_section(s, None, welding, "related", [
            {"kind": "required", "credential_id": ids["bedside"]},
            {"kind": "related", "cip": "48.0508", "type": "certificate", "name": "Community college welding program"},
        ])
        service.add_note(s, None, welding, SECRET_NOTE)
    set_status(url, ids["archived"], "archived")
    return {"org": str(org), **ids}


@pytest.fixture(scope="module")
def indexed(catalog, client_factory):
    """Waits until the worker has indexed this module's four published credentials."""
    client = client_factory()
    wait_for(lambda: client.get(f"/api/v1/search?issuer={catalog['org']}").get_json()["total"] == 4,
             timeout=60, message="this module's credentials in the index")
    related = lambda: client.get(f"/api/v1/search?q=structural+welding&issuer={catalog['org']}").get_json()  # noqa: E731
    wait_for(lambda: related()["total"] == 1, timeout=60, message="the welding credential's latest revision")
    return catalog


@pytest.fixture(scope="module")
def client_factory(app):
    return app.test_client


def search(client, catalog, query: str = "") -> dict:
    url = f"/api/v1/search?issuer={catalog['org']}&{query}"
    response = client.get(url)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def counts(body: dict, facet: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in body["facets"][facet]}


def names(body: dict) -> set[str]:
    return {h["name"] for h in body["hits"]}


# --- facets --------------------------------------------------------------------------------------


def test_without_filters_every_facet_counts_this_issuers_credentials(client, indexed):
    body = search(client, indexed)
    assert body["total"] == 4 and body["page"] == 1 and body["size"] == 20
    assert counts(body, "occupation") == {RN: 1, LPN: 1, AIDE: 1, WELDER: 1}
    assert counts(body, "skill") == {READING: 3, LISTENING: 2}
    assert counts(body, "type") == {"license": 1, "certificate": 1, "badge": 1, "certification": 1}
    assert counts(body, "occupation_group") == {"29-0000": 2, "31-0000": 1, "51-0000": 1}
    assert counts(body, "sector_group") == {"62": 3, "31-33": 1}
    labels = {v["value"]: v["label"] for v in body["facets"]["occupation"]}
    assert labels[RN] == "Registered Nurses"
    assert {v["label"] for v in body["facets"]["type"]} >= {"License", "Badge"}
    # The issuer facet is disjunctive too, so it also counts other modules' issuers: look at ours.
    ours = [v for v in body["facets"]["issuer"] if v["value"] == indexed["org"]]
    assert ours == [{"value": indexed["org"], "label": body["hits"][0]["issuer"]["name"], "count": 4, "selected": True}]
    assert all(not v["selected"] for v in body["facets"]["issuer"] if v["value"] != indexed["org"])


def test_selecting_an_occupation_keeps_the_other_occupations_counts(client, indexed):
    body = search(client, indexed, f"occupation={RN}")
    assert names(body) == {"Bedside Care Credential"}
    occupation = {v["value"]: (v["count"], v["selected"]) for v in body["facets"]["occupation"]}
    assert occupation == {RN: (1, True), LPN: (1, False), AIDE: (1, False), WELDER: (1, False)}
    # Other facets count only what the selection leaves.
    assert counts(body, "skill") == {READING: 1}
    assert counts(body, "type") == {"license": 1}


def test_values_of_one_facet_are_ored(client, indexed):
    body = search(client, indexed, f"occupation={RN}&occupation={LPN}")
    assert names(body) == {"Bedside Care Credential", "Practical Nursing Certificate"}
    assert counts(body, "skill") == {READING: 1, LISTENING: 1}


def test_facets_are_anded(client, indexed):
    body = search(client, indexed, f"occupation={RN}&occupation={LPN}&occupation={AIDE}&skill={LISTENING}")
    assert names(body) == {"Practical Nursing Certificate", "Nursing Assistant Badge"}
    # The occupation counts follow the skill selection, the skill counts the occupation one; a
    # selected value that the other facets leave nothing of stays listed, at 0, so it can be unticked.
    assert counts(body, "occupation") == {LPN: 1, AIDE: 1, RN: 0}
    assert counts(body, "skill") == {READING: 2, LISTENING: 2}
    body = search(client, indexed, f"skill={LISTENING}&type=badge&delivery=online")
    assert names(body) == {"Nursing Assistant Badge"}


def test_browse_groups_filter_by_soc_major_group_and_naics_sector(client, indexed):
    assert names(search(client, indexed, "occupation_group=29-0000")) == {
        "Bedside Care Credential", "Practical Nursing Certificate"}
    assert names(search(client, indexed, "sector_group=31-33")) == {"Structural Welding Certification"}


def test_sort_and_paging(client, indexed):
    by_name = search(client, indexed, "sort=name&size=2")
    assert [h["name"] for h in by_name["hits"]] == ["Bedside Care Credential", "Nursing Assistant Badge"]
    second = search(client, indexed, "sort=name&size=2&page=2")
    assert [h["name"] for h in second["hits"]] == ["Practical Nursing Certificate", "Structural Welding Certification"]
    newest = search(client, indexed, "sort=newest")
    assert newest["hits"][0]["name"] == "Structural Welding Certification"


# --- what people type ------------------------------------------------------------------------------


def test_rn_finds_a_nursing_credential_whose_text_never_says_rn(client, indexed):
    body = search(client, indexed, "q=RN")
    assert "Bedside Care Credential" in names(body)
    assert "Structural Welding Certification" not in names(body)


@pytest.mark.parametrize("code, expected", [
    ("29-1141", {"Bedside Care Credential"}),
    ("29-1141.00", {"Bedside Care Credential"}),
    ("291141", {"Bedside Care Credential"}),
    ("51.3901", {"Practical Nursing Certificate"}),
    ("51-4121", {"Structural Welding Certification"}),
    ("29-0000", {"Bedside Care Credential", "Practical Nursing Certificate"}),
    ("62", {"Practical Nursing Certificate", "Nursing Assistant Badge", "Bedside Care Credential"}),
    ("31-33", {"Structural Welding Certification"}),
])
def test_soc_cip_and_naics_codes_as_queries(client, indexed, code, expected):
    assert names(search(client, indexed, f"q={quote(code)}")) == expected


def test_highlights_are_escaped_html_with_marks(client, indexed):
    hit = search(client, indexed, "q=welding")["hits"][0]
    assert hit["highlight"]["name"] == "Structural <mark>Welding</mark> Certification"
    assert hit["url"] == f"/credentials/{indexed['welding']}"
    assert hit["occupations"] == [{"code": WELDER, "label": "Welders, Cutters, Solderers, and Brazers"}]


def test_typos_get_a_did_you_mean_and_the_nearest_matches(client, indexed):
    body = search(client, indexed, "q=structral+weldng")
    assert body["total"] == 0 and body["hits"] == []
    assert body["did_you_mean"] == "structural welding"
    nearest = next(s for s in body["suggestions"] if s["reason"] == "any_words")
    assert "Structural Welding Certification" in {h["name"] for h in nearest["hits"]}


def test_filters_that_leave_nothing_say_which_to_drop(client, indexed):
    body = search(client, indexed, "q=nursing&type=certification")
    assert body["total"] == 0
    drop = {s["facet"]: s["total"] for s in body["suggestions"] if s["reason"] == "remove_filter"}
    assert drop["type"] == search(client, indexed, "q=nursing")["total"] >= 2
    # Dropping the module's own issuer filter would also answer, with other modules' credentials.
    assert set(drop) <= {"type", "issuer"}


def test_nothing_like_it_still_answers_with_suggestions_field(client, indexed):
    body = search(client, indexed, "q=qqzxqv")
    assert body["total"] == 0 and body["did_you_mean"] is None and "suggestions" in body


NASTY = ['"unbalanced', "(((", "a AND (b OR", "title:nurse", "/regex.*/", "nurse~2", "a^10", "\\", "*", "-",
         "| | |", "NOT", "{!lucene}", "<script>alert(1)</script>", "nurse\x00\x01\x1b[31m", "🙂 nurse",
         "\u202erev", "x" * 256, "a " * 128, " ".join(["nurse"] * 42), "%", "&&", "+-=&&||><!(){}[]^\"~*?:\\/",
         "\ufffd", "ｎｕｒｓｅ", "e\u0301", "∞", "nurs*", "\"registered nurse\""]


@pytest.mark.parametrize("text", NASTY)
def test_any_text_answers_200_never_500(client, indexed, text):
    response = client.get(f"/api/v1/search?q={quote(text)}")
    assert response.status_code == 200, (text, response.get_json())
    assert isinstance(response.get_json()["hits"], list)


def test_invalid_utf8_in_the_query_string_is_not_a_500(client, indexed):
    assert client.get("/api/v1/search?q=%ED%A0%80%FF").status_code == 200


@pytest.mark.parametrize("query, param", [
    ("page=abc", "page"), ("page=0", "page"), ("page=1.5", "page"), ("page=-2", "page"), ("page=501", "page"),
    ("page=11&size=1000", "size"), ("size=101", "size"), ("size=0", "size"), ("sort=price", "sort"),
    ("q=" + "x" * 257, "q"), ("q=" + "x" * 10_000, "q"), ("occupation=" + "9" * 101, "occupation"),
])
def test_bad_input_is_a_400_with_a_message(client, indexed, query, param):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request" and body["param"] == param and len(body["message"]) > 20


def test_unknown_parameters_are_ignored(client, indexed):
    assert search(client, indexed, "utm_source=newsletter&facet=whatever")["total"] == 4


# --- one credential ------------------------------------------------------------------------------


def test_a_published_credential_as_public_json(client, indexed):
    response = client.get(f"/api/v1/credentials/{indexed['welding']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Structural Welding Certification" and body["type_label"] == "Certification"
    assert body["required"] == [{"id": indexed["bedside"], "name": "Bedside Care Credential",
                                 "url": f"/credentials/{indexed['bedside']}"}]
    assert body["related"][0]["cip"] == "48.0508" and body["related"][0]["id"] is None
    assert body["skills"][0] == {"code": READING, "label": "Reading Comprehension",
                                 "min_level": "Novice", "acquired_level": "Intermediate"}
    assert "notes" not in body and SECRET_NOTE not in response.get_data(as_text=True)


@pytest.mark.parametrize("which, status", [("draft", 404), ("archived", 410)])
def test_drafts_are_404_and_archived_credentials_410(client, indexed, which, status):
    response = client.get(f"/api/v1/credentials/{indexed[which]}")
    assert response.status_code == status
    assert response.get_json()["error"] == {404: "not_found", 410: "gone"}[status]


@pytest.mark.parametrize("raw", ["999999999", "abc", "1.0", "-1", "9" * 40])
def test_unknown_credential_ids_are_404(client, indexed, raw):
    assert client.get(f"/api/v1/credentials/{raw}").status_code == 404


# --- when services fail --------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def hung_opensearch():
    """A port that accepts connections and never answers: a hung node, not a dead one."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


@pytest.mark.timeout(60)  # a client that ignored its timeout would hang until this fails it
@pytest.mark.parametrize("kind", ["closed", "hung"])
def test_opensearch_down_is_a_503_after_the_web_timeout(settings, database, hung_opensearch, kind):
    from tests.support.factories import assert_gives_up_after
    from webapp import create_app

    url = f"http://127.0.0.1:{_closed_port()}" if kind == "closed" else hung_opensearch
    client = create_app(replace(settings, opensearch_url=url, web_timeout=0.25), TESTING=True).test_client()
    assert_gives_up_after(url, 0.25)
    for path in ("/api/v1/search?q=nurse", "/search?q=nurse", "/browse/sectors"):
        response = client.get(path)
        assert response.status_code == 503, path
        if path.startswith("/api"):
            assert response.get_json()["error"] == "search_unavailable"
        else:
            assert "temporarily unavailable" in response.get_data(as_text=True)


# --- rate limits ---------------------------------------------------------------------------------


def test_the_public_api_is_rate_limited_per_client_with_retry_after(settings, database, indexed):
    from webapp import create_app

    app = create_app(settings, TESTING=True, RATELIMIT_ENABLED=True, PUBLIC_API_RATE_LIMIT="3/minute",
                     RATELIMIT_KEY_PREFIX=f"{settings.index_prefix}rl-{uuid.uuid4().hex[:6]}")
    client = app.test_client()
    answers = [client.get("/api/v1/search?q=welding") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[-1].headers["X-RateLimit-Remaining"] == "0"
    limited = client.get(f"/api/v1/credentials/{indexed['welding']}")
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "rate_limited"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    # Another address has its own allowance.
    other = client.get("/api/v1/search?q=welding", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_search_and_browse_pages_share_the_api_allowance(settings, database, indexed):
    """Scraping the HTML pages must not be a way around the API's limit: one allowance for both."""
    from webapp import create_app

    app = create_app(settings, TESTING=True, RATELIMIT_ENABLED=True, PUBLIC_API_RATE_LIMIT="3/minute",
                     RATELIMIT_KEY_PREFIX=f"{settings.index_prefix}rl-{uuid.uuid4().hex[:6]}")
    client = app.test_client()
    answers = [client.get("/search?q=welding"), client.get("/browse/sectors"), client.get("/api/v1/search?q=x")]
    assert [a.status_code for a in answers] == [200, 200, 200]
    for path in ("/search?q=welding", "/browse/occupations"):
        limited = client.get(path)
        assert limited.status_code == 429 and limited.mimetype == "text/html", path
        assert "Too many" in limited.get_data(as_text=True) and int(limited.headers["Retry-After"]) > 0
    assert client.get("/api/v1/search?q=welding").status_code == 429
    # Credential pages and the home page are not search: they stay open.
    assert client.get(f"/credentials/{indexed['welding']}").status_code == 200
    assert client.get("/").status_code == 200


def test_the_api_still_answers_when_the_rate_limit_store_is_down(settings, database, indexed):
    from webapp import create_app

    down = replace(settings, redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    client = create_app(down, TESTING=True, RATELIMIT_ENABLED=True, PUBLIC_API_RATE_LIMIT="100/minute").test_client()
    for _ in range(3):
        response = client.get("/api/v1/search?q=welding")
        assert response.status_code == 200


# --- the pages that share this code --------------------------------------------------------------


def test_credential_pages_show_public_fields_and_refuse_drafts_and_archived(client, indexed):
    page = client.get(f"/credentials/{indexed['welding']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Structural Welding Certification" in html and "Bedside Care Credential" in html
    assert "Community college welding program" in html and "CIP 48.0508" in html
    assert SECRET_NOTE not in html
    assert client.get(f"/credentials/{indexed['draft']}").status_code == 404
    gone = client.get(f"/credentials/{indexed['archived']}")
    assert gone.status_code == 410 and "no longer offered" in gone.get_data(as_text=True)


def test_search_and_browse_pages(client, indexed):
    page = client.get(f"/search?q=welding&issuer={indexed['org']}")
    assert page.status_code == 200 and "Structural <mark>Welding</mark> Certification" in page.get_data(as_text=True)
    bad = client.get("/search?q=welding&page=0")
    assert bad.status_code == 400 and "page must be a whole number" in bad.get_data(as_text=True)
    browse = client.get("/browse/occupations")
    assert browse.status_code == 200 and "Healthcare Practitioners and Technical Occupations" in browse.get_data(as_text=True)
    assert "/search?occupation_group=29-0000" in browse.get_data(as_text=True)
    assert client.get("/browse/sectors").status_code == 200
    assert client.get("/browse/planets").status_code == 404


# --- official names with qualifiers, and no dead ends (issue 11) ----------------------------------


def test_qualifiers_that_find_nothing_show_results_for_the_words_that_matter(client, indexed):
    body = search(client, indexed, "q=STRUCTURAL+WELDING+CERTIFICATION+-+EVENING+BOOTCAMP")
    assert body["showing_results_for"] == "structural welding"
    assert names(body) == {"Structural Welding Certification"}
    assert "showing_results_for" not in search(client, indexed, "q=structural+welding")


def test_the_zero_result_page_offers_occupations_programmes_and_a_filter_reset(client, indexed):
    query = f"q=Certified+Phlebotomy+Technician+Program&issuer={indexed['org']}"
    body = client.get(f"/api/v1/search?{query}").get_json()
    assert body["total"] == 0
    closest = {s["reason"]: s for s in body["suggestions"] if s["reason"].startswith("closest_")}
    assert "31-9097.00" in [item["code"] for item in closest["closest_occupations"]["items"]]
    assert closest["closest_programs"]["items"][0]["code"] == "51.1009"
    page = client.get(f"/search?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Closest occupations" in html and "/search?occupation=31-9097.00" in html
    assert "Closest programs of study" in html and "/search?cip=51.1009" in html
    assert "Clear all filters" in html
