"""The editor's pickers on real OpenSearch with the bundled O*NET, NAICS and CIP data (issue 16).

- the keyword list pages through every match (`from` on /api/v1/autocomplete, "Show more");
- sectors name each NAICS scope once: a level named exactly like its parent (4931 under 493) is
  the same scope and is left out, unless its code is typed; each sector says its level;
- related credentials are found by what they are about (keywords, occupations, CIP programmes),
  after the name matches, and each says how it matched;
- without JavaScript, a keyword search submits and comes back with checkboxes, and × removes.
The browser side (ticks across keywords, the no-JS path in Chromium) is in test_pickers_browser.py.
"""
from __future__ import annotations

import re
import uuid

import pytest
from werkzeug.datastructures import MultiDict

from indexer import operations
from indexer.autocomplete import suggest
from indexer.client import bulk_client
from indexer.registry import INDICES
from store.db import session_scope
from store.models import Credential
from tests.support.factories import make_credential
from tests.test_editor_pages import log_in, make_org, make_person, submit, tab_url, text
from webapp.editor import forms

API = "/api/v1/autocomplete"


@pytest.fixture(autouse=True, scope="module")
def _built(settings, indices):
    warm_up(settings)
    return indices


def warm_up(settings):
    """One query per picker through a patient client: the first search of a fresh index (and the
    sectors' script filter) can take seconds on a busy machine, past the web's 1.5 s timeout."""
    client = bulk_client(settings.opensearch_url)
    for target, q in (("occupations", "truck"), ("sectors", "warehousing"), ("skills", "forklift"),
                      ("credentials", "truck")):
        suggest(client, settings.index_prefix, target, q, 50, timeout=60)


def ask(client, vocabulary: str, q: str, **params):
    response = client.get(f"{API}/{vocabulary}", query_string={"q": q, **params})
    assert response.status_code == 200, response.json
    return response.json


# --- "Show more": every match, a page at a time --------------------------------------------------


def test_the_keyword_list_pages_through_every_match_without_overlap(client):
    # "truck" matches 43 occupations; its 50+ before were typo noise ("track", "trunk"), which
    # autocomplete leaves out when something matched exactly (issue 16). "driver" matches 75.
    first = ask(client, "occupations", "driver", size=50)
    total = first["total"]
    assert total > 50, "more matches than one page of 50"
    rest = ask(client, "occupations", "driver", size=50, **{"from": 50})
    assert rest["total"] == total and len(first["items"]) == 50 and len(rest["items"]) == total - 50
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert len(set(ids)) == total
    assert "53-3032.00" in ids   # Heavy and Tractor-Trailer Truck Drivers
    assert ask(client, "occupations", "driver", size=50, **{"from": total})["items"] == []


@pytest.mark.parametrize("offset", ["-1", "1.5", "ten", "9" * 30, "99999"])
def test_a_bad_offset_is_a_400_that_says_what_is_allowed(client, offset):
    response = client.get(f"{API}/occupations", query_string={"q": "truck", "from": offset})
    assert response.status_code == 400
    assert "from must be a whole number from 0 to" in response.json["message"]


def test_the_openapi_document_describes_from(client):
    spec = client.get("/api/v1/openapi.json").json
    params = {p["name"]: p for p in spec["paths"]["/api/v1/autocomplete/{vocabulary}"]["get"]["parameters"]}
    assert params["from"]["schema"]["minimum"] == 0 and "Show more" in params["from"]["description"]


# --- sectors: one name, one scope ---------------------------------------------------------------


@pytest.mark.parametrize("q", ["warehousing", "warehousing and storage", "truck transportation", "hospitals",
                               "general freight trucking", "nursing care facilities"])
def test_sectors_never_repeat_a_name_down_the_naics_levels(client, q):
    items = ask(client, "sectors", q, size=50)["items"]
    assert items
    for a in items:
        for b in items:
            if a is not b and a["code"] != b["code"] and b["code"].startswith(a["code"]):
                assert a["label"] != b["label"], f"{a['code']} and {b['code']} both read {a['label']!r}"
    assert all(item["level"] for item in items)


def test_the_broadest_code_of_a_repeated_name_stays_and_says_its_level(client):
    items = ask(client, "sectors", "warehousing and storage")["items"]
    codes = [item["code"] for item in items]
    assert "493" in codes and "4931" not in codes
    assert next(i for i in items if i["code"] == "493")["level"] == "subsector"


def test_a_typed_code_finds_exactly_that_level(client):
    items = ask(client, "sectors", "4931")["items"]
    assert items[0]["code"] == "4931" and items[0]["level"] == "industry group"


# --- related credentials by what they are about --------------------------------------------------


@pytest.fixture(scope="module")
def trucking(settings, database):
    """Published trucking credentials of another organization, indexed; and this org's draft."""
    tag = uuid.uuid4().hex[:6]
    other = make_org(database)
    hazmat = make_credential(database, other, occupations=("53-3032.00",), sectors=("484",), nudge=False,
                             name=f"Hazardous Materials Endorsement Preparation {tag}", keywords=["hazmat", tag],
                             cip_codes=["49.0205"], description="Prepares drivers for the endorsement test.")
    by_name = make_credential(database, other, occupations=("53-3032.00",), sectors=("484",), nudge=False,
                              name=f"Truck Driver Safety Badge {tag}", keywords=[tag])
    unrelated = make_credential(database, other, nudge=False, name=f"Phlebotomy Basics {tag}", keywords=[tag])
    org = make_org(database)
    this = make_credential(database, org, publish=False, nudge=False, name=f"CDL Class A Training {tag}")
    draft = make_credential(database, org, publish=False, nudge=False, name=f"Truck Yard Orientation {tag}")
    operations.drain(settings)
    bulk_client(settings.opensearch_url).indices.refresh(index=INDICES["credentials"].alias(settings.index_prefix))
    return {"tag": tag, "org": org, "this": this, "hazmat": hazmat, "by_name": by_name, "unrelated": unrelated,
            "draft": draft}


def link_options(client, credential_id: int, q: str, **params) -> list[dict]:
    response = client.get(f"/editor/api/credentials/{credential_id}/link-options", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["items"]


def test_hazmat_and_truck_find_related_credentials_by_topic_name_matches_first(app, database, trucking):
    client = app.test_client()
    log_in(client, make_person(database, trucking["org"]))
    mine = {str(trucking[k]): k for k in ("hazmat", "by_name", "unrelated", "draft")}

    hazmat = [(mine[i["id"]], i["about"]) for i in link_options(client, trucking["this"], "hazmat") if i["id"] in mine]
    assert hazmat == [("hazmat", "keyword: hazmat")]

    truck = [i for i in link_options(client, trucking["this"], "truck") if i["id"] in mine]
    kinds = [mine[i["id"]] for i in truck]
    # Names first (this organization's draft, a published badge), then what is about trucks.
    assert kinds[:2] == ["draft", "by_name"] or kinds[:2] == ["by_name", "draft"]
    assert kinds[2:] == ["hazmat"]
    assert truck[0]["about"] is None and truck[1]["about"] is None
    assert truck[2]["about"] == "occupation: Heavy and Tractor-Trailer Truck Drivers"
    assert truck[2]["status"] == "published" and truck[2]["organization"]

    # A CIP programme's title finds it too; what is already chosen is left out.
    by_cip = [mine[i["id"]] for i in link_options(client, trucking["this"], "commercial vehicle operator")
              if i["id"] in mine]
    assert by_cip == ["hazmat"]
    assert str(trucking["hazmat"]) not in [i["id"] for i in link_options(
        client, trucking["this"], "hazmat", exclude=str(trucking["hazmat"]))]


def test_the_public_credentials_autocomplete_says_how_a_topic_matched(client, trucking):
    items = {i["id"]: i for i in ask(client, "credentials", "hazmat", size=50)["items"]}
    assert items[str(trucking["hazmat"])]["about"] == "keyword: hazmat"
    items = {i["id"]: i for i in ask(client, "credentials", f"truck driver safety badge {trucking['tag']}")["items"]}
    assert items[str(trucking["by_name"])]["about"] is None


# --- the pickers without JavaScript ------------------------------------------------------------


def test_without_javascript_a_keyword_search_lists_checkboxes_and_adding_saves(app, database, trucking):
    client = app.test_client()
    log_in(client, make_person(database, trucking["org"]))
    url = tab_url(trucking["this"], "occupations")
    page = text(client.get(url))
    assert 'name="q_occupations"' in page and 'name="search" value="occupations"' in page

    # Search: nothing is saved, the matches come back as checkboxes named like the field.
    # "driver": more than a page of 50 ("truck" has 43 without typo noise)
    response = submit(client, url, {"occupations": "29-1141.00", "q_occupations": "driver", "search": "occupations"})
    assert response.status_code == 200
    found = text(response)
    boxes = re.findall(r'type="checkbox" id="nojs-occupations-\d+" name="occupations" value="([^"]+)"', found)
    assert len(boxes) == 50 and "53-3032.00" in boxes and "29-1141.00" not in boxes   # chosen ones left out
    assert 'name="more_occupations" value="50"' in found
    with session_scope(database) as s:
        assert [o.code for o in s.get(Credential, trucking["this"]).occupations] == ["29-1141.00"]

    # "Show more" gives the next page; the ticked box rides along as chosen.
    more = text(submit(client, url, MultiDict([("occupations", "29-1141.00"), ("occupations", "53-3032.00"),
                                                ("q_occupations", "driver"), ("more_occupations", "50")])))
    assert "51–" in more and 'value="53-3032.00"' in more
    assert re.search(r'name="remove_occupations" value="53-3032.00"', more)

    # Enter in the keyword box (the hidden default button) searches too.
    entered = text(submit(client, url, {"occupations": "29-1141.00", "q_occupations": "bus driver", "enter": "1"}))
    assert "matches for “bus driver”" in entered

    # Adding the ticked ones saves them.
    saved = submit(client, url, MultiDict([("occupations", "29-1141.00"), ("occupations", "53-3032.00")]))
    assert saved.status_code == 303
    with session_scope(database) as s:
        assert [o.code for o in s.get(Credential, trucking["this"]).occupations] == ["29-1141.00", "53-3032.00"]

    # × is a submit: the tab comes back without it, nothing saved until Save changes.
    removed = submit(client, url, MultiDict([("occupations", "29-1141.00"), ("occupations", "53-3032.00"),
                                              ("remove_occupations", "29-1141.00")]))
    assert removed.status_code == 200 and "Choose Save changes to keep this change" in text(removed)
    assert 'name="remove_occupations" value="29-1141.00"' not in text(removed)
    with session_scope(database) as s:
        assert len(s.get(Credential, trucking["this"]).occupations) == 2


def test_picker_actions_are_read_from_the_submitted_form():
    form = MultiDict
    assert forms.picker_action("occupations", form({"occupations": "x"})) is None
    assert forms.picker_action("occupations", form({"enter": "1", "q_occupations": " "})) is None
    action = forms.picker_action("occupations", form({"search": "sectors", "q_sectors": " hospitals "}))
    assert (action.picker.name, action.text, action.offset) == ("sectors", "hospitals", 0)
    action = forms.picker_action("skills", form({"more_skills": "50", "q_skills": "weld"}))
    assert (action.picker.field, action.offset) == ("add_skill", 50)
    assert forms.picker_action("skills", form({"more_skills": "9" * 40, "q_skills": "weld"})).offset == 0
    assert forms.picker_action("skills", form({"search": "occupations", "q_occupations": "x"})) is None
    action = forms.picker_action("related", form({"remove_related": "1"}))
    assert (action.remove_field, action.remove_value) == ("related", "1")

    payload = {"skills": {"custom_levels": [], "items": [{"skill_id": "a"}, {"skill_id": "b"}]}}
    assert forms.without(payload, "skill", "a")[0]["skills"]["items"] == [{"skill_id": "b"}]
    assert forms.without({"related": [1, 2, 3]}, "related", "1") == ({"related": [1, 3]}, True)
    assert forms.without({"related": [1]}, "related", "7") == ({"related": [1]}, False)
    skills = forms.skills_payload(form([("skill_id", "a"), ("min_level", ""), ("acquired_level", ""),
                                        ("add_skill", "a"), ("add_skill", "b")]))
    assert [item["skill_id"] for item in skills["skills"]["items"]] == ["a", "b"]


def test_without_javascript_related_credentials_are_found_by_topic_and_added(app, database, trucking):
    client = app.test_client()
    log_in(client, make_person(database, trucking["org"]))
    url = tab_url(trucking["draft"], "related")
    found = text(submit(client, url, {"q_related": "hazmat", "search": "related"}))
    assert f'name="rel_pick_related" value="{trucking["hazmat"]}"' in found
    assert "About: keyword: hazmat" in found
    assert submit(client, url, {"rel_pick_related": str(trucking["hazmat"])}).status_code == 303
    with session_scope(database) as s:
        relations = s.get(Credential, trucking["draft"]).relations
        assert [(r.kind, r.target_id) for r in relations] == [("related", trucking["hazmat"])]
    # Its × (remove_related=0) takes it out of the form; nothing saved until Save changes.
    page = text(client.get(url))
    assert 'name="remove_related" value="0"' in page


def test_without_javascript_a_cip_chip_removed_on_the_create_form_creates_nothing(app, database):
    org = make_org(database)
    client = app.test_client()
    log_in(client, make_person(database, org))
    name = f"Never Created {uuid.uuid4().hex[:6]}"
    response = submit(client, "/editor/new", MultiDict([
        ("org_id", str(org)), ("name", name), ("credential_type", "certificate"), ("language", "en"),
        ("cip_codes", "51.3801"), ("cip_codes", "49.0205"), ("remove_cip_codes", "51.3801")]))
    page = text(response)
    assert response.status_code == 200 and "Removed." in page
    assert 'name="remove_cip_codes" value="49.0205"' in page and 'value="51.3801"' not in page
    with session_scope(database) as s:
        assert s.query(Credential).filter_by(name=name).count() == 0
