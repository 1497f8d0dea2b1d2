"""Searching in a real browser: type, narrow by facets, open a credential, follow a relation.

Also saves screenshots of both pages to tests/artifacts/screenshots/; copies of a good run are
kept in docs/screenshots/ for the README (CI runs must not rewrite tracked files).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from store.db import session_scope
from store.models import Credential, Organization
from tests.support.accessibility import assert_accessible
from tests.support.factories import make_credential, wait_for
from catalog.authoring import service

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"
RN, LPN, AIDE, HOME_AIDE, MANAGER = "29-1141.00", "29-2061.00", "31-1131.00", "31-1121.00", "11-9111.00"
CRITICAL_THINKING = "2.A.2.a"


def _skills(*codes):
    levels = ("None", "Novice", "Intermediate", "Advanced", "Expert")
    return tuple((code, levels[i % 2], levels[2 + i % 3]) for i, code in enumerate(codes))


def _org(url: str, name: str, kinds: list[str], website: str) -> int:
    with session_scope(url) as s:
        org = Organization(name=name, kinds=kinds, website=website,
                           location="Columbus, OH")
        s.add(org)
        s.flush()
        return org.id


@pytest.fixture(scope="module")
def nursing_catalog(settings, database, worker):
    url = settings.database_url
    board = _org(url, "Ohio Board of Nursing", ["issuer"], "https://nursing.example.org")
    college = _org(url, "Riverside Community College", ["issuer", "education_provider"], "https://riverside.example.edu")
    made = {}

    def add(key, org, **fields):
        made[key] = make_credential(url, org, **fields)

    add("adn", college, name="Associate Degree in Nursing (ADN)", credential_type="associate_degree",
        description="A two-year program that prepares graduates for the NCLEX-RN examination and entry-level "
                    "practice as a registered nurse in hospitals, clinics and long-term care.",
        delivery_mode="blended", cip_codes=["51.3801"], occupations=(RN,), sectors=("622110",),
        skills=_skills("2.A.1.a", CRITICAL_THINKING, "2.B.1.a", "2.A.1.d", "2.A.2.b"),
        url="https://riverside.example.edu/adn")
    add("rn", board, name="Registered Nurse (RN) State License", credential_type="license",
        description="State licensure to practice as a registered nurse, after an approved nursing program "
                    "and passing the NCLEX-RN.",
        delivery_mode="in_person", cip_codes=["51.3801"], occupations=(RN,), sectors=("622110", "623110"),
        skills=_skills("2.A.1.a", "2.A.1.b", CRITICAL_THINKING, "2.A.2.d", "2.B.1.b", "2.B.1.f"),
        url="https://nursing.example.org/rn", cost={"amount": "75.00", "currency": "USD", "note": "Application fee"},
        duration={"value": 6, "unit": "weeks"}, keywords=["NCLEX-RN", "nursing license"])
    add("pn", college, name="Practical Nursing Certificate", credential_type="certificate",
        description="A one-year certificate preparing licensed practical nurses for the NCLEX-PN.",
        delivery_mode="in_person", cip_codes=["51.3901"], occupations=(LPN,), sectors=("623110",),
        skills=_skills("2.A.1.b", "2.A.2.d", "2.B.1.b", "2.B.1.e"))
    add("lpn", board, name="Licensed Practical Nurse (LPN) License", credential_type="license",
        description="State licensure to practice as a licensed practical nurse.", delivery_mode="in_person",
        cip_codes=["51.3901"], occupations=(LPN,), sectors=("623110",),
        skills=_skills("2.A.1.b", "2.A.2.d", "2.B.1.f"))
    add("cna", college, name="Certified Nursing Assistant Training", credential_type="certification",
        description="State-approved nurse aide training: patient care, vital signs and infection control.",
        delivery_mode="in_person", cip_codes=["51.3902"], occupations=(AIDE,), sectors=("623110",),
        skills=_skills("2.B.1.a", "2.B.1.f", "2.A.1.b", "2.A.1.c"))
    add("hha", college, name="Home Health Aide Badge", credential_type="badge",
        description="Care for clients at home under the supervision of a registered nurse.",
        delivery_mode="online", cip_codes=["51.2601"], occupations=(HOME_AIDE,), sectors=("621610",),
        skills=_skills("2.B.1.f", "2.B.1.a", "2.A.1.e"))
    add("mgr", college, name="Nurse Manager Micro-Credential", credential_type="micro_credential",
        description="Leading nursing teams: staffing, budgets and quality improvement.", delivery_mode="online",
        cip_codes=["51.0701"], occupations=(MANAGER,), sectors=("622110",),
        skills=_skills("2.B.1.b", "2.B.1.d", "2.B.2.i", CRITICAL_THINKING))
    with session_scope(url) as s:
        def relate(key, relations):
            service.save_section(s, None, s.get(Credential, made[key]), "related", relations)

        relate("rn", [{"kind": "required", "credential_id": made["adn"]},
                      {"kind": "related", "credential_id": made["lpn"]}])
        relate("lpn", [{"kind": "required", "credential_id": made["pn"]}])
        relate("cna", [{"kind": "related", "cip": "51.3902", "type": "certificate",
                        "name": "High school health science pathway"}])
        service.save_section(s, None, s.get(Credential, made["adn"]), "programs", [{
            "provider_org_id": college, "name": "Nursing (ADN), two years full time", "delivery_mode": "blended",
            "location": "Columbus, OH", "cip": "51.3801", "cost": "9800.00",
            "duration": {"value": 2, "unit": "years"}}])
    return {"board": board, "college": college, **made}


@pytest.fixture(scope="module")
def indexed(nursing_catalog, live_server):
    import requests

    issuers = f"issuer={nursing_catalog['board']}&issuer={nursing_catalog['college']}"

    def ready():
        body = requests.get(f"{live_server.url}/api/v1/search?{issuers}&q=license+program", timeout=5).json()
        everything = requests.get(f"{live_server.url}/api/v1/search?{issuers}", timeout=5).json()
        return everything["total"] == 7 and body is not None and all(
            h["skills"] for h in everything["hits"])
    wait_for(ready, timeout=60, message="the nursing credentials in the index")
    # The relations and the program were saved last: wait for the RN license's final revision.
    wait_for(lambda: "Registered Nurse (RN) State License" in {h["name"] for h in requests.get(
        f"{live_server.url}/api/v1/search?{issuers}&q=adn", timeout=5).json()["hits"]}, timeout=60,
        message="related names indexed")
    return nursing_catalog


def _state(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _total(page) -> int:
    text = page.locator("#results-heading").inner_text()
    match = re.search(r"([\d,]+) credential", text)
    return int(match.group(1).replace(",", "")) if match else 0


def _facet_count(page, facet: str, value: str) -> int:
    link = page.locator(f'.facet-value[data-facet="{facet}"][data-value="{value}"]').first
    return int(link.locator(".facet-count").inner_text().replace(",", ""))


def test_search_narrow_open_and_follow(page, live_server, indexed):
    page.goto(f"{live_server.url}/")
    box = page.locator("#q")
    box.fill("registered nur")
    # Suggestions while typing, grouped: the occupation is offered by name.
    option = page.locator('#q-suggestions [role="option"]', has_text="Registered Nurses").first
    option.wait_for()
    assert page.locator("#q-suggestions .suggestion-group", has_text="Occupations").is_visible()
    assert_accessible(page, "home with suggestions")
    box.fill("nurse")
    box.press("Escape")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=nurse"))
    # Other test modules share the index: narrow to this module's two issuers, so the facet values
    # used below are among the ones shown before "More…".
    page.goto(f"{page.url}&issuer={indexed['board']}&issuer={indexed['college']}")
    before = _total(page)
    assert before >= 7

    # Tick an occupation: hits narrow, other occupations keep their counts (disjunctive facets).
    lpn_count = _facet_count(page, "occupation", LPN)
    page.locator(f'.facet-value[data-facet="occupation"][data-value="{RN}"]').first.click()
    page.wait_for_url(re.compile("occupation="))
    assert _state(page)["occupation"] == [RN] and _state(page)["q"] == ["nurse"] and len(_state(page)["issuer"]) == 2
    after_occupation = _total(page)
    assert 2 <= after_occupation < before
    assert _facet_count(page, "occupation", LPN) == lpn_count
    assert page.locator(f'.facet-value[data-facet="occupation"][data-value="{RN}"]').first.get_attribute(
        "aria-checked") == "true"
    thinking_count = _facet_count(page, "skill", CRITICAL_THINKING)

    # Tick a skill as well: facets AND, and the URL holds both.
    page.locator(f'.facet-value[data-facet="skill"][data-value="{CRITICAL_THINKING}"]').first.click()
    page.wait_for_url(re.compile("skill="))
    assert _state(page)["skill"] == [CRITICAL_THINKING] and _state(page)["occupation"] == [RN]
    assert _total(page) == thinking_count <= after_occupation
    assert page.locator(".chip", has_text="Critical Thinking").is_visible()
    assert_accessible(page, "search with two filters")

    # The URL alone reproduces the page (bookmarkable).
    url = page.url
    page.goto(url)
    assert _total(page) == thinking_count

    # Open our RN license, then follow its required-credential link.
    page.locator("article.hit a", has_text="Registered Nurse (RN) State License").click()
    page.wait_for_url(re.compile(rf"/credentials/{indexed['rn']}$"))
    assert page.locator("h1").inner_text() == "Registered Nurse (RN) State License"
    assert page.locator(".skills-table tbody tr").count() == 6
    assert_accessible(page, "credential page")
    page.locator(".credential-section", has_text="Required credentials").locator("a").first.click()
    page.wait_for_url(re.compile(rf"/credentials/{indexed['adn']}$"))
    assert page.locator("h1").inner_text() == "Associate Degree in Nursing (ADN)"
    assert page.locator(".program", has_text="Nursing (ADN), two years full time").is_visible()

    # Removing a chip removes exactly that filter.
    page.goto(url)
    page.locator(".chip", has_text="Critical Thinking").click()
    page.wait_for_url(lambda u: "skill=" not in u)
    assert _state(page)["occupation"] == [RN]


def test_long_facets_have_a_filter_box(page, live_server, indexed):
    page.goto(f"{live_server.url}/search?issuer={indexed['board']}&issuer={indexed['college']}")
    more = page.locator('[data-facet-block="skill"] .facet-more')
    more.locator("summary").click()
    box = more.locator(".facet-filter")
    box.fill("negot")
    visible = more.locator(".facet-values li:visible")
    assert visible.count() == 1 and "Negotiation" in visible.inner_text()
    box.fill("zzz")
    assert more.locator(".facet-no-match").is_visible()
    assert_accessible(page, "facet filter box with no match")


def test_screenshots(page, live_server, indexed):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    issuers = f"issuer={indexed['board']}&issuer={indexed['college']}"
    page.goto(f"{live_server.url}/search?q=nurse&{issuers}&delivery=in_person&delivery=blended")
    page.locator(".hit").first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)
    page.goto(f"{live_server.url}/credentials/{indexed['rn']}")
    page.screenshot(path=str(SCREENSHOTS / "credential.png"), full_page=True)
    wait_for(lambda: (SCREENSHOTS / "credential.png").stat().st_size > 10_000, timeout=5, message="screenshots")
