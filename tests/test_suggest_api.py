"""GET /api/v1/suggest/{skills,occupations,programs}: suggestions from the crosswalks, against the
real index built from the bundled taxonomies; bad input is a 400 with a message, search down a 503.
"""
from __future__ import annotations

import pytest

from webapp import create_app
from store.settings import Settings

API = "/api/v1/suggest"
WELDERS, RNS, NURSING_ASSISTANTS = "51-4121.00", "29-1141.00", "31-1131.00"


@pytest.fixture(scope="module")
def get(app, indices):
    client = app.test_client()

    def get(path: str, status: int = 200, **params):
        response = client.get(f"{API}/{path}", query_string=params)
        assert response.status_code == status, response.json
        return response.json
    return get


def test_skills_for_an_occupation_rank_essential_esco_skills_first(get):
    items = get("skills", occupation=WELDERS, size=50)["items"]
    assert len(items) == 50
    assert set(items[0]) == {"id", "label", "kind", "scheme", "score", "because"}
    assert items[0]["because"][0].startswith("essential for ") and "(Welders, Cutters, Solderers, and Brazers)" in items[0]["because"][0]
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    labels = [i["label"] for i in items]
    assert "use welding equipment" in labels and "apply arc welding techniques" in labels
    esco = [i["because"][0].split(" ")[0] for i in items if i["id"].startswith("esco-")]
    assert esco == sorted(esco), "every essential ESCO skill before any optional one"


def test_onet_activities_tools_and_knowledge_come_weighted_by_importance(get):
    items = get("skills", occupation=WELDERS, size=50, exclude=",".join(
        i["id"] for i in get("skills", occupation=WELDERS, size=50)["items"]))["items"]
    assert items, "the next page, without what was shown"
    everything = get("skills", occupation=WELDERS, size=50)["items"] + items
    kinds = {i["kind"] for i in everything}
    assert "skill" in kinds
    welding = [i for i in get("skills", occupation=WELDERS, size=50)["items"] if i["kind"] != "skill"]
    for item in welding:
        assert item["because"][0].split(" ")[0] in ("essential", "optional", "importance", "needed", "Welders,")


def test_a_skill_shared_by_several_chosen_occupations_ranks_higher(get):
    both = get("skills", occupation=[RNS, NURSING_ASSISTANTS], size=10)["items"]
    alone = get("skills", occupation=RNS, size=10)["items"]
    assert len(both[0]["because"]) == 2 and both[0]["score"] > alone[0]["score"]


def test_occupations_for_a_cip_programme(get):
    items = get("occupations", cip="51.3801", size=50)["items"]
    rn = next(i for i in items if i["id"] == RNS)
    assert rn["label"] == "Registered Nurses" and rn["kind"] == "occupation"
    assert rn["because"] == ["from CIP 51.3801 Registered Nursing/Registered Nurse"]


def test_programmes_for_an_occupation_read_the_crosswalk_the_other_way(get):
    items = get("programs", occupation=RNS, size=50)["items"]
    program = next(i for i in items if i["id"] == "51.3801")
    assert program["kind"] == "program" and program["because"] == ["leads to Registered Nurses (29-1141.00)"]


def test_comma_separated_codes_and_repeats_count_once(get):
    a = get("skills", occupation=f"{RNS},{NURSING_ASSISTANTS},{RNS}", size=5)["items"]
    b = get("skills", occupation=[NURSING_ASSISTANTS, RNS], size=5)["items"]
    assert {i["id"] for i in a} == {i["id"] for i in b}


@pytest.mark.parametrize("path, params, message", [
    ("skills", {"occupation": "51-4121"}, "is not in the form 51-4121.00"),
    ("skills", {"occupation": "99-9999.00"}, "unknown occupation code '99-9999.00'"),
    ("skills", {}, "give at least one occupation code"),
    ("skills", {"occupation": ",".join(f"29-1141.0{i}" for i in range(10)) + "," + ",".join(f"29-2061.{i:02d}" for i in range(11))},
     "at most 20 occupation codes"),
    ("occupations", {"cip": "51.38"}, "is not in the form 51.3801"),
    ("occupations", {"cip": "99.9998"}, "unknown cip code"),
    ("programs", {"occupation": "<script>"}, "is not in the form"),
    ("skills", {"occupation": WELDERS, "size": "ten"}, "size must be a whole number"),
    ("skills", {"occupation": WELDERS, "size": "0"}, "size must be a whole number"),
])
def test_bad_input_is_a_400_with_a_message(get, path, params, message):
    body = get(path, 400, **params)
    assert body["error"] == "bad_request" and message in body["message"]


def test_an_unknown_target_is_a_404(get):
    assert get("credentials", 404, occupation=WELDERS)["error"] == "not_found"


def test_search_down_is_a_503(settings, database):
    client = create_app(Settings(**{**settings.__dict__, "opensearch_url": "http://127.0.0.1:1"}),
                        TESTING=True).test_client()
    response = client.get(f"{API}/skills", query_string={"occupation": WELDERS})
    assert response.status_code == 503 and response.json["error"] == "search_unavailable"
    bad = client.get(f"{API}/skills", query_string={"occupation": "nope"})
    assert bad.status_code == 400, "bad input is checked before search is asked"


@pytest.mark.parametrize("raw", ["x" * 600, "9" * 5000, ",".join(["esco-x"] * 500)])
def test_huge_or_many_excluded_ids_still_answer(get, raw):
    assert get("skills", occupation=WELDERS, exclude=raw)["items"]
