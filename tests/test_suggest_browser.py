"""The editor's suggestions in headless Chromium: skills suggested for the saved occupations and
occupations suggested from the saved CIP programme, one click each, a reason on hover, and
nothing added (or saved) without that click.
"""
from __future__ import annotations

import uuid

from playwright.sync_api import expect
from sqlalchemy import select

from store.db import session_scope
from store.models import CredentialOccupation, CredentialSkill
from tests.support.browser import log_in as log_in_through_form
from tests.support.factories import make_credential, make_member

PASSWORD = "correct horse battery"


def log_in(page, live_server, database) -> int:
    tag = uuid.uuid4().hex[:6]
    org_id, email = make_member(database, f"Midwest Welding School {tag}", f"walt-{tag}", "editor", PASSWORD,
                                name="Walt Editor")
    log_in_through_form(page, live_server.url, email, PASSWORD)
    return org_id


def saved(database, model, column, credential_id) -> list[str]:
    with session_scope(database) as s:
        return list(s.scalars(select(column).where(model.credential_id == credential_id)))


def test_a_suggested_skill_is_added_with_one_click_and_saved(page, live_server, database):
    org = log_in(page, live_server, database)
    credential = make_credential(database, org, publish=False, nudge=False, name="Structural Welding Certificate",
                                 occupations=("51-4121.00",), skills=(), cip_codes=["48.0508"])
    page.goto(f"{live_server.url}/editor/credentials/{credential}/skills")
    section = page.locator("#skill-suggestions")
    expect(section.get_by_role("heading")).to_have_text("Suggested for the occupations you chose")
    buttons = section.locator("button.suggestion")
    expect(buttons.first).to_be_visible()
    assert page.locator("[data-skill-rows] tr").count() == 0, "nothing is added before a click"
    first = buttons.first
    reason = first.get_attribute("title")
    assert reason.startswith("essential for ") and "(Welders, Cutters, Solderers, and Brazers)" in reason
    skill_id = first.get_attribute("data-id")
    label = first.inner_text().rsplit(" ", 1)[0]
    first.click()
    rows = page.locator("[data-skill-rows] tr")
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-value") == skill_id
    expect(section.locator(f'button[data-id="{skill_id}"]')).to_have_count(0)
    expect(section.get_by_role("status")).to_contain_text(f"{label} added")
    assert saved(database, CredentialSkill, CredentialSkill.skill_code, credential) == [], "added, not yet saved"
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text("are saved")
    assert saved(database, CredentialSkill, CredentialSkill.skill_code, credential) == [skill_id]
    # Once saved, it is no longer suggested.
    expect(page.locator("#skill-suggestions button.suggestion").first).to_be_visible()
    expect(page.locator(f'#skill-suggestions button[data-id="{skill_id}"]')).to_have_count(0)


def test_occupations_are_suggested_from_the_cip_programme(page, live_server, database):
    org = log_in(page, live_server, database)
    credential = make_credential(database, org, publish=False, nudge=False, name="Nurse Aide Training",
                                 occupations=(), skills=(), cip_codes=["51.3902"])
    page.goto(f"{live_server.url}/editor/credentials/{credential}/occupations")
    section = page.locator("#occupation-suggestions")
    expect(section.get_by_role("heading")).to_have_text("Suggested from the CIP programme(s)")
    aides = section.locator('button[data-id="31-1131.00"]')
    expect(aides).to_be_visible()
    assert aides.get_attribute("title") == "from CIP 51.3902 Nursing Assistant/Aide and Patient Care Assistant/Aide"
    expect(page.locator("#chosen-occupations .combobox-chip")).to_have_count(0)
    aides.click()
    expect(page.locator("#chosen-occupations .combobox-chip")).to_have_count(1)
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text("are saved")
    assert saved(database, CredentialOccupation, CredentialOccupation.code, credential) == ["31-1131.00"]


def test_without_occupations_the_skills_tab_says_where_to_choose_them(page, live_server, database):
    org = log_in(page, live_server, database)
    credential = make_credential(database, org, publish=False, nudge=False, occupations=(), skills=())
    page.goto(f"{live_server.url}/editor/credentials/{credential}/skills")
    expect(page.locator("#skill-suggestions [role=status]")).to_contain_text("Choose occupations")
    expect(page.locator("#skill-suggestions button.suggestion")).to_have_count(0)
