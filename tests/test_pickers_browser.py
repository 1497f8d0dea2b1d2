"""The editor's pickers in headless Chromium (issue 16): with JavaScript off, and on.

Off: a keyword search submits and comes back with checkboxes; "Add ..." saves the ticked
occupation and skill; × is a submit button that takes a row out. On: "Show more" lists every
match of "driver", ticks survive a change of keyword until "Add occupations", and the CIP box of
"Not in the catalog?" is the CIP autocomplete.

Nothing here depends on the database engine, so the PostgreSQL run (-m db) skips this module.
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from store.db import session_scope
from store.models import Credential
from tests.conftest import ARTIFACTS, BACKEND
from tests.support.browser import log_in as log_in_through_form
from tests.support.factories import make_credential, make_member
from tests.test_pickers import warm_up

pytestmark = pytest.mark.skipif(BACKEND == "postgres", reason="browser behaviour; the SQLite run covers it")

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def author(settings, database, indices):
    """An editor of an issuing organization, and two drafts of that organization to edit."""
    tag = uuid.uuid4().hex[:6]
    org_id, email = make_member(database, f"Prairie Driving School {tag}", f"pat-{tag}", "editor", PASSWORD,
                                name="Pat Editor")
    warm_up(settings)
    drafts = [make_credential(database, org_id, publish=False, nudge=False, occupations=(), skills=(),
                              name=f"CDL Class A Training {tag} {n}") for n in (1, 2)]
    return {"email": email, "drafts": drafts}


def log_in(page, url: str, email: str):
    log_in_through_form(page, url, email, PASSWORD)
    expect(page.get_by_role("link", name="My Credentials")).to_be_visible()


def test_without_javascript_an_occupation_and_a_skill_are_added_through_plain_forms(
        browser, live_server, database, author):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        credential_id = author["drafts"][0]
        log_in(page, live_server.url, author["email"])
        base = f"{live_server.url}/editor/credentials/{credential_id}"

        page.goto(f"{base}/occupations")
        picker = page.locator(".picklist")
        picker.get_by_label("Enter a search keyword").fill("driver")
        picker.get_by_role("button", name="Search").click()
        expect(picker.locator(".picklist-count")).to_contain_text(re.compile(r"1–50 of \d+ matches for “driver”"))
        picker.get_by_role("checkbox", name=re.compile("^Heavy and Tractor-Trailer Truck Drivers")).check()
        # "Show more" is a submit too: the tick rides along as a chosen (not yet saved) occupation.
        picker.get_by_role("button", name="Show more").click()
        expect(picker.locator(".picklist-count")).to_contain_text(re.compile(r"51–\d+ of \d+"))
        expect(page.locator("#chosen-occupations .combobox-chip")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "pickers-nojs-occupations.png"), full_page=True)
        picker.get_by_role("button", name="Add occupations").click()
        expect(page.locator(".flash")).to_contain_text("are saved")
        expect(page.locator("#chosen-occupations .combobox-chip")).to_have_text(
            [re.compile("Heavy and Tractor-Trailer Truck Drivers")])

        page.goto(f"{base}/skills")
        skills = page.locator("[data-pick-action=skill]")
        skills.get_by_label("Add a skill").fill("forklift")
        skills.get_by_label("Add a skill").press("Enter")   # the form's hidden default button: a search here
        first_skill = skills.get_by_role("checkbox").first
        kept_code = first_skill.get_attribute("value")
        first_skill.check()
        skills.get_by_role("checkbox").nth(1).check()
        skills.get_by_role("button", name="Add skills").click()
        expect(page.locator(".flash")).to_contain_text("are saved")
        rows = page.locator("[data-skill-rows] tr")
        expect(rows).to_have_count(2)
        page.screenshot(path=str(ARTIFACTS / "pickers-nojs-skills.png"), full_page=True)

        # × is a real submit: the row goes, and Save changes keeps that.
        rows.nth(1).get_by_role("button", name=re.compile("^Remove")).click()
        expect(page.locator(".picker-note")).to_contain_text("Choose Save changes to keep this change")
        expect(rows).to_have_count(1)
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator(".flash")).to_contain_text("are saved")

        # A custom experience level: "Add level" is a submit that saves the tab with it.
        page.get_by_text("+ Custom experience level").click()
        page.get_by_label("Level name").fill("Journeyworker")
        page.get_by_role("button", name="Add level").click()
        expect(page.locator(".flash")).to_contain_text("are saved")
        expect(page.locator("[data-level-list] .level-custom")).to_contain_text("Journeyworker")

        # A related credential that is not in the catalog, by CIP code and type.
        page.goto(f"{base}/related")
        box = page.locator("[data-external-ref=related]")
        box.get_by_text("Not in the catalog?").click()
        box.get_by_label("CIP code").fill("49.0205")
        box.get_by_label("Credential type").select_option("license")
        box.get_by_label("Name").fill("Class A Commercial Driver License")
        box.get_by_role("button", name="Add reference").click()
        expect(page.locator(".flash")).to_contain_text("are saved")

        with session_scope(database) as s:
            credential = s.get(Credential, credential_id)
            assert [o.code for o in credential.occupations] == ["53-3032.00"]
            assert [skill.skill_code for skill in credential.skills] == [kept_code]
            assert [level.name for level in credential.custom_levels] == ["Journeyworker"]
            assert [(r.kind, r.external_cip, r.external_type, r.external_name) for r in credential.relations] == [
                ("related", "49.0205", "license", "Class A Commercial Driver License")]
    finally:
        context.close()


def test_with_javascript_show_more_lists_every_match_and_ticks_survive_a_new_keyword(
        page, live_server, database, author):
    credential_id = author["drafts"][1]
    log_in(page, live_server.url, author["email"])
    page.goto(f"{live_server.url}/editor/credentials/{credential_id}/occupations")
    picker = page.locator(".picklist")
    expect(picker.get_by_role("button", name="Search")).to_have_count(0)   # the plain form's, gone

    keyword = picker.get_by_label("Enter a search keyword")
    keyword.fill("driver")
    keyword.press("Enter")
    count = picker.locator(".picklist-count")
    expect(count).to_have_text(re.compile(r"^50 of \d+$"))
    total = int(count.inner_text().split(" of ")[1])
    assert total > 50
    picker.get_by_role("button", name=f"Show {total - 50} more").click()
    expect(count).to_have_text(f"{total} of {total}")
    expect(picker.locator(".picklist-group:not(.picklist-earlier) li")).to_have_count(total)
    expect(picker.get_by_role("button", name=re.compile("^Show"))).to_be_hidden()
    picker.get_by_role("checkbox", name=re.compile("^Heavy and Tractor-Trailer Truck Drivers")).check()

    keyword.fill("bus")
    keyword.press("Enter")
    expect(count).to_have_text(re.compile(r"^\d+ of \d+$"))
    earlier = picker.get_by_role("group", name="Ticked, not yet added")
    expect(earlier.get_by_role("checkbox", name=re.compile("^Heavy and Tractor-Trailer"))).to_be_checked()
    picker.get_by_role("checkbox", name=re.compile(r"^Bus Drivers, Transit and Intercity")).check()
    page.screenshot(path=str(ARTIFACTS / "pickers-ticks-kept.png"), full_page=True)
    picker.get_by_role("button", name="Add occupations (2)").click()
    expect(page.locator("#chosen-occupations .combobox-chip")).to_have_count(2)
    expect(earlier).to_be_hidden()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text("are saved")
    with session_scope(database) as s:
        assert sorted(o.code for o in s.get(Credential, credential_id).occupations) == ["53-3032.00", "53-3052.00"]

    # "Not in the catalog?": the CIP box is the CIP autocomplete.
    page.goto(f"{live_server.url}/editor/credentials/{credential_id}/related")
    required = page.locator('[data-relation-group="required"]')
    required.get_by_text("Not in the catalog?").click()
    required.get_by_role("combobox", name="CIP code").fill("truck and bus")
    required.get_by_role("option", name=re.compile("Truck and Bus Driver")).click()
    required.get_by_label("Credential type").select_option("license")
    required.get_by_role("button", name="Add reference").click()
    expect(required.locator(".relation")).to_contain_text("CIP 49.0205 Truck and Bus Driver")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text("are saved")
    with session_scope(database) as s:
        relations = s.get(Credential, credential_id).relations
        assert [(r.kind, r.external_cip, r.external_type) for r in relations] == [("required", "49.0205", "license")]
