"""Skills autocomplete for the words welders, nurses, drivers and teachers type (real OpenSearch).

Each everyday phrase must bring a relevant skill into the first five suggestions; relevance is a
word of the skill we expect in its label, alternative label or matched term. Ranking: a skill's own
label before an alternative label, a skill before a tool, and every item says its kind and what matched.
"""
from __future__ import annotations

import pytest

API = "/api/v1/autocomplete/skills"


@pytest.fixture(scope="module")
def ask(app, indices):
    client = app.test_client()

    def ask(q: str, size: int = 5) -> list[dict]:
        response = client.get(API, query_string={"q": q, "size": size})
        assert response.status_code == 200, response.json
        return response.json["items"]
    return ask


def shown(item: dict) -> str:
    return f"{item['label']} {item.get('matched') or ''}".casefold()


@pytest.mark.parametrize("q, relevant", [
    ("welding", "weld"), ("weld", "weld"), ("welder", "weld"), ("forklift", "forklift"),
    ("patient care", "patient"), ("first aid", "first aid"), ("vital signs", "vital signs"),
    ("infection control", "infection control"), ("blueprint reading", "blueprint"),
    ("truck driving", "truck"), ("lesson planning", "lesson"), ("landscaping", "landscap"),
    ("CPR", "cpr"), ("HVAC", "hvac"), ("CNC", "cnc"), ("OSHA", "osha"), ("CDL", "cdl"), ("Excel", "excel"),
])
def test_everyday_words_find_a_relevant_skill_in_the_top_five(ask, q, relevant):
    items = ask(q)
    assert any(relevant in shown(item) and item["kind"] != "tool" for item in items), [shown(i) for i in items]


def test_words_in_any_order_and_inflections(ask):
    assert "read standard blueprints" in [i["label"] for i in ask("blueprint reading")]
    assert any("lesson plan" in i["label"].casefold() for i in ask("planning lessons"))
    assert all(i["kind"] != "tool" for i in ask("welder")[:3]), "welder finds welding skills before welder tools"


def test_most_words_are_enough_for_a_long_phrase(ask):
    """"monitor vital signs of patients" has no skill with all five words; four of them are enough."""
    assert any("vital signs" in shown(i) for i in ask("monitor vital signs of patients daily"))


def test_a_skill_goes_before_a_tool_that_matches_as_well(ask):
    items = ask("forklift")
    kinds = [i["kind"] for i in items]
    assert items[0]["label"] == "operate forklift" and kinds.index("skill") < kinds.index("tool")


def test_own_label_before_an_alternative_label(ask):
    items = ask("first aid", size=10)
    labels = [i["label"] for i in items]
    assert labels[0] == "first aid", labels
    own = [i for i in items if i["matched"] is None]
    alternative = [i for i in items if i["matched"]]
    assert own and alternative and items.index(own[0]) < items.index(alternative[0])


def test_each_item_says_its_kind_and_what_matched(ask):
    cpr = ask("CPR")
    assert cpr[0]["kind"] in ("skill", "knowledge") and cpr[0]["matched"] == "CPR"
    assert {i["kind"] for i in ask("weld", size=50)} >= {"skill", "activity", "tool"}
    assert {i["kind"] for i in ask("Microsoft Excel")} >= {"technology"}
