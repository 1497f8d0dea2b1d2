"""GET /api/v1/autocomplete/<vocabulary> against real OpenSearch, on the bundled taxonomies.

Ranking rules are checked twice: on the real O*NET, NAICS and CIP data (what editors will see),
and on a small hand-made index where every tier and tie-break has exactly one candidate.
"""
from __future__ import annotations

import socket

import uuid

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st

from indexer.autocomplete import suggest
from indexer.client import bulk_client, web_client
from indexer.documents import build_concept_document
from indexer.registry import INDICES
from store.models import Concept
from store.settings import Settings

API = "/api/v1/autocomplete"


@pytest.fixture(autouse=True, scope="module")
def _built(indices):
    return indices


def ask(client, vocabulary: str, q: str, **params):
    response = client.get(f"{API}/{vocabulary}", query_string={"q": q, **params})
    assert response.status_code == 200, response.json
    return response.json


def codes(answer) -> list[str]:
    return [item["code"] for item in answer["items"]]


def first(answer) -> dict:
    assert answer["items"], f"no suggestions for {answer['query']!r}"
    return answer["items"][0]


# --- what editors type -------------------------------------------------------------------------


def test_answer_shape(client):
    answer = ask(client, "occupations", "registered nurses", size=3)
    assert set(answer) == {"query", "total", "items", "relaxed"}
    assert answer["query"] == "registered nurses"
    assert first(answer) == {"id": "29-1141.00", "code": "29-1141.00", "label": "Registered Nurses",
                             "scheme": "onet-soc", "matched": None, "tier": "label_exact", "relaxed": False,
                             "via": None}


def test_alternate_titles_find_the_occupation_and_say_so(client):
    rn = first(ask(client, "occupations", "RN"))
    assert (rn["id"], rn["label"], rn["matched"]) == ("29-1141.00", "Registered Nurses", "RN")
    cop = first(ask(client, "occupations", "cop"))
    assert (cop["id"], cop["label"], cop["matched"]) == ("33-3051.00", "Police and Sheriff's Patrol Officers", "Cop")


@pytest.mark.parametrize("q", ["regist nur", "nurse registered", "Registered Nurs", "nurses regis"])
def test_words_match_as_prefixes_in_any_order(client, q):
    assert first(ask(client, "occupations", q))["id"] == "29-1141.00"


def test_suggestions_start_at_two_characters(client):
    assert ask(client, "occupations", "r") == {"query": "r", "total": 0, "items": [], "relaxed": False}
    assert ask(client, "occupations", " r  ")["items"] == []
    assert ask(client, "occupations", "rn")["total"] > 0


@pytest.mark.parametrize("q", ["regsitered nurse", "registerd nurses", "registred nurs"])
def test_one_typo_in_a_long_word_is_forgiven(client, q):
    assert first(ask(client, "occupations", q))["id"] == "29-1141.00"


def test_no_typo_is_forgiven_in_words_under_five_letters(client):
    assert "35-1011.00" in codes(ask(client, "occupations", "chef", size=50))
    assert "35-1011.00" not in codes(ask(client, "occupations", "cehf", size=50))


@pytest.mark.parametrize("q", ["REGISTERED NURSES", "régistered nürses", "registered-nurses!", "  Registered   Nurses "])
def test_case_accents_and_punctuation_are_folded(client, q):
    assert first(ask(client, "occupations", q))["id"] == "29-1141.00"


def test_apostrophes_fold_both_ways(client):
    assert first(ask(client, "occupations", "sheriffs patrol"))["id"] == "33-3051.00"
    assert first(ask(client, "occupations", "sheriff's patrol"))["id"] == "33-3051.00"


@pytest.mark.parametrize("vocabulary, q, expected", [
    ("occupations", "29-1141", "29-1141.00"),
    ("occupations", "291141", "29-1141.00"),
    ("occupations", "29-1141.00", "29-1141.00"),
    ("occupations", "29-1141.03", "29-1141.03"),
    ("programs", "51.3801", "51.3801"),
    ("programs", "513801", "51.3801"),
    ("programs", "5138", "51.38"),
    ("sectors", "62", "62"),
    ("sectors", "6221", "6221"),
])
def test_codes_match_in_any_common_form(client, vocabulary, q, expected):
    top = first(ask(client, vocabulary, q))
    assert top["code"] == expected
    assert top["matched"] == expected


def test_code_prefixes_list_the_codes_below(client):
    answer = ask(client, "programs", "51.38", size=50)
    assert codes(answer)[0] == "51.38"
    assert all(code.startswith("51.38") for code in codes(answer))
    assert "51.3801" in codes(answer)


def test_every_vocabulary_answers(client):
    assert first(ask(client, "sectors", "hospitals"))["code"] == "622"
    assert first(ask(client, "programs", "registered nursing"))["code"].startswith("51.38")
    answer = ask(client, "skills", "pyth")
    assert first(answer)["label"].startswith("Python") and first(answer)["scheme"] == "skills"
    assert "tech-python" in codes(answer)


def test_size_up_to_fifty_with_the_exact_total(client):
    from store.taxonomy_sources import read_onet

    healthcare = [c.code for c in read_onet() if c.code.startswith("29-")]
    assert len(healthcare) > 50
    answer = ask(client, "occupations", "29", size=500)
    assert len(answer["items"]) == 50
    assert answer["total"] == len(healthcare)
    assert set(codes(answer)) < set(healthcare)
    assert len(ask(client, "occupations", "nurse")["items"]) == 10, "10 unless asked"


def test_exclude_leaves_chosen_items_out(client):
    answer = ask(client, "occupations", "registered nurse", exclude="29-1141.00,29-1141.01")
    assert not {"29-1141.00", "29-1141.01"} & set(codes(answer))
    both = client.get(f"{API}/occupations?q=registered+nurse&exclude=29-1141.00&exclude=29-1141.01").json
    assert codes(both) == codes(answer)


def test_vocabulary_answers_may_be_cached_for_a_minute(client):
    response = client.get(f"{API}/occupations?q=nurse")
    assert response.headers["Cache-Control"] == "public, max-age=60"


# --- ranking, tier by tier, on a hand-made index -----------------------------------------------

RANKED = [  # (code, label, alternate titles, published credentials): best match for "nurse" first
    ("99-0001.00", "Nurse", [], 0),                            # exact label
    ("99-0002.00", "Zeta Workers", ["Nurse"], 0),              # exact alternate title
    ("99-0003.00", "Nurse Practitioners", [], 0),              # label starts with the text
    ("99-0004.00", "Registered Nurses", [], 0),                # a label word starts with it
    ("99-0005.00", "Omega Workers", ["Nurse Helper"], 0),      # an alternate title starts with it
    ("99-0006.00", "Alpha Workers", ["Head Nurse"], 0),        # an alternate title word starts with it
]
TYPOS = [  # one typo from "nurse": suggested only when nothing matches strictly (issue 16)
    ("99-0007.00", "Purse Makers", [], 0),                     # label, one typo
    ("99-0008.00", "Beta Workers", ["Purse Sellers"], 0),      # alternate title, one typo
]
TIES = [  # all in one tier for "weld": more credentials first, then the shorter label
    ("98-0001.00", "Structural Welders", [], 0),
    ("98-0002.00", "Pipe Welders", [], 0),
    ("98-0003.00", "Underwater Welders", [], 5),
]


@pytest.fixture(scope="module")
def handmade(settings):
    """A vocabulary index under its own prefix holding only RANKED and TIES."""
    prefix = f"{settings.index_prefix}rank-"
    client = bulk_client(settings.opensearch_url)
    name = INDICES["occupations"].alias(prefix)
    client.indices.create(index=name, body=INDICES["occupations"].body())
    for code, label, alts, count in RANKED + TYPOS + TIES:
        concept = Concept(code=code, label=label, alt_labels=alts, description="", broader=None, links={})
        client.index(index=name, id=code, body=build_concept_document(concept, "handmade", credential_count=count))
    client.indices.refresh(index=name)
    yield prefix
    client.indices.delete(index=name)


def test_tiers_exact_label_alternate_label_prefix_alternate_prefix_fuzzy(settings, handmade):
    result = suggest(web_client(settings.opensearch_url), handmade, "occupations", "nurse", size=20)
    assert [item["code"] for item in result.items] == [code for code, *_ in RANKED]
    matched = {item["code"]: item["matched"] for item in result.items}
    assert matched["99-0002.00"] == "Nurse"
    assert matched["99-0006.00"] == "Head Nurse"
    assert matched["99-0004.00"] is None
    # Purse Makers and Purse Sellers are typo noise beside exact matches; alone, they are the answer.
    typos = suggest(web_client(settings.opensearch_url), handmade, "occupations", "pursee", size=20)
    assert [item["code"] for item in typos.items] == [code for code, *_ in TYPOS]
    assert typos.relaxed and typos.items[1]["matched"] == "Purse Sellers"


def test_ties_go_to_more_credentials_then_the_shorter_label(settings, handmade):
    result = suggest(web_client(settings.opensearch_url), handmade, "occupations", "weld")
    assert [item["label"] for item in result.items] == ["Underwater Welders", "Pipe Welders", "Structural Welders"]


# --- published credentials ---------------------------------------------------------------------


def test_a_credential_is_suggested_once_published_not_before(settings, client):
    """Through the real authoring service, outbox and relay, on the credentials-v1 mapping."""
    from indexer import operations
    from tests.support.factories import make_credential, make_org_and_editor, set_status

    tag = uuid.uuid4().hex[:6]
    name = f"Zephyrite Turbine Technician {tag}"
    org_id, _ = make_org_and_editor(settings.database_url)
    credential_id = make_credential(settings.database_url, org_id, publish=False, nudge=False, name=name,
                                    credential_type="certificate", alternate_names=[f"ZTT-{tag}"])

    def suggestions(q: str) -> list:
        operations.drain(settings)
        bulk_client(settings.opensearch_url).indices.refresh(index=INDICES["credentials"].alias(settings.index_prefix))
        return ask(client, "credentials", q)["items"]

    assert suggestions("zephyrite turb") == []
    set_status(settings.database_url, credential_id, "published")
    items = [i for i in suggestions("zephyrite turb") if i["label"] == name]
    assert items == [{"id": str(credential_id), "code": "certificate", "label": name, "scheme": "credentials",
                      "matched": None, "about": None, "tier": "name_start", "relaxed": False, "via": None}]
    by_alternate = [i for i in suggestions(f"ztt-{tag}") if i["id"] == str(credential_id)]
    assert by_alternate and by_alternate[0]["matched"] == f"ZTT-{tag}"
    assert client.get(f"{API}/credentials?q=zephyrite").headers["Cache-Control"] == "no-cache"


@pytest.fixture(scope="module")
def credentials_app(settings, database):
    """An app whose credentials alias holds a few documents shaped by credentials-v1.json."""
    from webapp import create_app

    prefix = f"{settings.index_prefix}cred-"
    client = bulk_client(settings.opensearch_url)
    name = INDICES["credentials"].alias(prefix)
    client.indices.create(index=name, body=INDICES["credentials"].body())
    docs = [
        {"id": "11", "name": "Registered Nurse License", "alternate_names": ["RN License"], "type": "license"},
        {"id": "12", "name": "Commercial Driver's License Class A", "alternate_names": ["CDL-A", "CDL Class A"],
         "type": "license"},
        {"id": "13", "name": "CompTIA Security+", "alternate_names": ["Security Plus"], "type": "certification"},
        {"id": "14", "name": "Café Operations Badge", "alternate_names": [], "type": "badge"},
    ]
    for doc in docs:
        client.index(index=name, id=doc["id"], body=doc)
    client.indices.refresh(index=name)
    yield create_app(Settings(**{**settings.__dict__, "index_prefix": prefix}), TESTING=True)
    client.indices.delete(index=name)


@pytest.mark.parametrize("q, expected_id, matched", [
    ("registered nurse", "11", None),
    ("regis", "11", None),
    ("cdl", "12", "CDL-A"),
    ("cdl class", "12", "CDL Class A"),
    ("security pl", "13", "Security Plus"),
    ("comptia security+", "13", None),
    ("cafe", "14", None),
    ("secruity", "13", None),
])
def test_credentials_by_name_and_alternate_names(credentials_app, q, expected_id, matched):
    answer = ask(credentials_app.test_client(), "credentials", q)
    top = first(answer)
    assert (top["id"], top["matched"], top["scheme"]) == (expected_id, matched, "credentials")
    assert top["code"] in ("license", "certification", "badge")


def test_credentials_exclude_the_one_being_edited(credentials_app):
    answer = ask(credentials_app.test_client(), "credentials", "license", exclude="11")
    assert [item["id"] for item in answer["items"]] == ["12"]


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["", "   "])
def test_empty_text_is_an_empty_list(client, q):
    assert ask(client, "occupations", q) == {"query": q, "total": 0, "items": [], "relaxed": False}


def test_missing_q_is_an_empty_list(client):
    response = client.get(f"{API}/occupations")
    assert response.status_code == 200 and response.json["items"] == []


def test_text_over_200_characters_is_refused_with_a_message(client):
    assert ask(client, "occupations", "n" * 200)["items"] == []
    response = client.get(f"{API}/occupations", query_string={"q": "n" * 201})
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    assert "200" in response.json["message"]


def test_unknown_vocabulary_is_a_json_404(client):
    response = client.get(f"{API}/planets?q=mars")
    assert response.status_code == 404
    assert response.is_json
    assert "occupations" in response.json["message"]


@pytest.mark.parametrize("size", ["ten", "1.5", "", "0", "-3", "9" * 30])
def test_size_must_be_a_whole_number(client, size):
    response = client.get(f"{API}/occupations", query_string={"q": "nurse", "size": size})
    if size == "":
        assert response.status_code == 200  # absent means the default
    elif size == "9" * 30:
        assert response.status_code == 200 and len(response.json["items"]) == 50
    else:
        assert response.status_code == 400
        assert "size" in response.json["message"]


@pytest.mark.parametrize("vocabulary", ["occupations", "sectors", "programs", "skills", "credentials"])
@pytest.mark.parametrize("q", list('"*()[]{}:\\/~^!') + ['"*()[]{}:\\/~^!', 'nurse" OR "1"="1', "nur*", "(nurse",
                                                        "nurse~", "title:nurse", "\\\\", "{{7*7}}", "\x00nurse"])
def test_query_syntax_characters_never_cause_an_error(client, vocabulary, q):
    response = client.get(f"{API}/{vocabulary}", query_string={"q": q})
    assert response.status_code == 200, response.json


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(min_size=2, max_size=200), vocabulary=st.sampled_from(["occupations", "credentials"]))
def test_any_text_gets_an_answer(app, q, vocabulary):
    response = app.test_client().get(f"{API}/{vocabulary}", query_string={"q": q})
    assert response.status_code == 200, (q, response.json)


def broken(settings, **changes):
    from webapp import create_app

    return create_app(Settings(**{**settings.__dict__, **changes}), TESTING=True).test_client()


def test_opensearch_down_is_a_503_with_a_message(settings):
    client = broken(settings, opensearch_url="http://127.0.0.1:1")
    response = client.get(f"{API}/occupations?q=nurse")
    assert response.status_code == 503
    assert response.json["error"] == "search_unavailable"
    assert "try again" in response.json["message"]


@pytest.mark.timeout(30)  # a client that ignored its timeout would hang here until this fails it
def test_opensearch_hanging_is_a_503_after_the_web_timeout(settings):
    from tests.support.factories import assert_gives_up_after

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        response = broken(settings, opensearch_url=url, web_timeout=0.25).get(f"{API}/occupations?q=nurse")
    finally:
        listener.close()
    assert response.status_code == 503
    assert_gives_up_after(url, 0.25)


def test_an_index_not_built_yet_is_a_503_that_says_what_to_run(settings):
    response = broken(settings, index_prefix=f"{settings.index_prefix}nothing-").get(f"{API}/sectors?q=hospital")
    assert response.status_code == 503
    assert "catalog index reindex sectors" in response.json["message"]
