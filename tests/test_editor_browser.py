"""The seed's editor steps, end to end, in headless Chromium against the live app and real services.

An org editor logs in through the real form, opens My Credentials, creates a credential, and
walks every tab: details, occupations by keyword with multi-select and a sector, a related
credential by autocomplete and a required one by CIP code and type, two skills with levels and a
custom level, an education program, a note, and publishing. The database must then hold exactly
what was entered, and the published credential must reach the search index.
"""
from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from store.db import session_scope
from store.models import Credential
from tests.conftest import ARTIFACTS
from tests.support.accessibility import assert_accessible
from tests.support.browser import log_in
from tests.support.factories import make_credential, make_member, wait_for
from catalog.accounts import service as accounts

PASSWORD = "correct horse battery"


def pick_option(page, input_label: str, text: str, option: str | re.Pattern):
    """Type into a combobox and choose the suggestion matching `option` with the keyboard-free click."""
    field = page.get_by_role("combobox", name=input_label)
    field.fill(text)
    choice = page.get_by_role("option", name=option).first
    expect(choice).to_be_visible()
    choice.click()


def open_tab(page, title: str):
    page.locator(".editor-tabs").get_by_role("link", name=title, exact=True).click()
    expect(page.locator('.editor-tabs a[aria-current="page"]')).to_contain_text(title)
    page.wait_for_load_state()  # the pickers are wired on DOMContentLoaded


def save(page, flash: str = "are saved"):
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text(flash)


def test_an_editor_walks_every_tab_and_publishes(page, live_server, database, worker, db_session):
    tag = uuid.uuid4().hex[:6]
    org_id, email = make_member(database, f"Springfield Health Board {tag}", f"nina-{tag}", "editor", PASSWORD,
                                name="Nina Editor")
    other_org = accounts_org(database, f"State Nursing Council {tag}")
    related_name = f"Certified Nursing Assistant {tag}"
    related_id = make_credential(database, other_org, name=related_name, credential_type="certification")

    # 1. Log in through the real form, open My Credentials, then Create Credential.
    log_in(page, live_server.url, email, PASSWORD)
    page.get_by_role("link", name="My Credentials").click()
    expect(page.get_by_role("heading", name="My Credentials")).to_be_visible()
    page.get_by_role("link", name="Create Credential").click()
    expect(page.get_by_role("heading", name="Create Credential")).to_be_visible()

    # 2. Details, saved; then occupations by keyword, several at once.
    name = f"Patient Care Technician {tag}"
    page.get_by_label("Credential name").fill(name)
    page.get_by_label("Alternate names").fill("PCT\nCare Technician, Patient")
    page.get_by_label("Description").fill("Hands-on patient care in hospitals and long-term care.")
    page.get_by_label("Credential type").select_option("certificate")
    page.get_by_label("Subject webpage").fill("https://health.example.gov/pct")
    pick_option(page, "Add a CIP code", "51.3902", re.compile("Nursing Assistant"))
    expect(page.locator("#chosen-cip_codes .combobox-chip")).to_have_count(1)
    page.get_by_label("Amount").fill("1450")
    page.get_by_label("Cost note").fill("Includes the state exam")
    page.get_by_label("Duration", exact=True).fill("16")
    page.get_by_label("Unit").select_option("weeks")
    page.get_by_label("Blended").check()
    page.get_by_label("Keywords").fill("patient care, phlebotomy, EKG")
    page.get_by_role("button", name="Create credential").click()
    expect(page.locator(".flash")).to_contain_text("is created as a draft")
    credential_id = int(re.search(r"/credentials/(\d+)/details", page.url).group(1))
    page.screenshot(path=str(ARTIFACTS / "editor-details.png"), full_page=True)
    assert_accessible(page, "editor-details")

    open_tab(page, "Occupation and sector")
    page.get_by_label("Enter a search keyword").fill("nurse")
    page.get_by_label("Enter a search keyword").press("Enter")
    expect(page.locator(".picklist-count")).to_have_text(re.compile(r"^\d+ of \d+$"))
    shown, total = map(int, re.findall(r"\d+", page.locator(".picklist-count").inner_text()))
    assert 2 <= shown <= 50 and total >= shown
    page.get_by_role("checkbox", name=re.compile(r"^Registered Nurses")).check()
    page.get_by_role("checkbox", name=re.compile(r"^Licensed Practical and Licensed Vocational Nurses")).check()
    page.screenshot(path=str(ARTIFACTS / "editor-occupations.png"), full_page=True)
    assert_accessible(page, "editor-occupations")
    page.get_by_role("button", name="Add occupations").click()
    chips = page.locator("#chosen-occupations .combobox-chip")
    expect(chips).to_have_count(2)

    # 3. A sector by autocomplete, then related and required credentials.
    pick_option(page, "Add a sector", "health", re.compile(r"^Health Care and Social Assistance"))
    expect(page.locator("#chosen-sectors .combobox-chip")).to_have_count(1)
    save(page)
    page.screenshot(path=str(ARTIFACTS / "editor-occupations-saved.png"), full_page=True)
    assert_accessible(page, "editor-occupations-saved")
    expect(page.locator("#chosen-occupations .combobox-chip")).to_have_count(2)

    open_tab(page, "Related credentials")
    related = page.locator('[data-relation-group="related"]')
    related.get_by_role("combobox").fill(f"nursing assistant {tag}")
    page.get_by_role("option", name=re.compile(re.escape(related_name))).click()
    expect(related.locator(".relation")).to_contain_text(related_name)
    required = page.locator('[data-relation-group="required"]')
    required.get_by_text("Not in the catalog?").click()
    required.get_by_role("combobox", name="CIP code").fill("51.3801")   # the CIP autocomplete; typing a code is enough
    required.get_by_label("Credential type").select_option("license")
    required.get_by_label("Name").fill("Registered Nurse license")
    required.get_by_role("button", name="Add reference").click()
    expect(required.locator(".relation")).to_contain_text("Registered Nurse license")
    save(page)
    page.screenshot(path=str(ARTIFACTS / "editor-related.png"), full_page=True)
    assert_accessible(page, "editor-related")

    # 4. Two skills with minimum experience, one custom level, and the level acquired.
    open_tab(page, "Skills and experience")
    pick_option(page, "Add a skill", "critical think", re.compile("^Critical Thinking"))
    pick_option(page, "Add a skill", "active listen", re.compile("^Active Listening"))
    page.get_by_text("+ Custom experience level").click()
    page.get_by_label("Level name").fill("Supervised practice")
    page.get_by_label("Place it after").select_option("Intermediate")
    page.get_by_role("button", name="Add level").click()
    expect(page.locator('[data-level-list] li')).to_have_text(
        ["None", "Novice", "Intermediate", re.compile("Supervised practice"), "Advanced", "Expert"])
    page.get_by_label("Minimum experience for Critical Thinking").select_option("Novice")
    page.get_by_label("Level acquired in Critical Thinking").select_option("Supervised practice")
    page.get_by_label("Minimum experience for Active Listening").select_option("Intermediate")
    page.get_by_label("Level acquired in Active Listening").select_option("Advanced")
    save(page)
    page.screenshot(path=str(ARTIFACTS / "editor-skills.png"), full_page=True)
    assert_accessible(page, "editor-skills")

    # 5. An education program and a note.
    open_tab(page, "Education providers")
    program = page.locator(".program-new")
    program.get_by_label("Or the provider's name").fill("Springfield Community College")
    program.get_by_label("Program name").fill("Patient Care Technician (evening)")
    program.get_by_label("Program webpage").fill("https://scc.example.edu/pct")
    program.get_by_label("Delivery mode").select_option("in_person")
    program.get_by_label("Duration").fill("20")
    program.get_by_label("Unit").select_option("weeks")
    program.get_by_label("Cost (USD)").fill("2100")
    program.get_by_label("Location").fill("Springfield, IL")
    program.get_by_label("CIP code").fill("51.3902")
    save(page)
    expect(page.get_by_role("group", name=re.compile("Program 1"))).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "editor-programs.png"), full_page=True)
    assert_accessible(page, "editor-programs")

    open_tab(page, "Additional notes")
    page.get_by_label("Add a note").fill("Exam fee confirmed with the board on the phone.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".note")).to_contain_text("Exam fee confirmed")
    expect(page.locator(".note")).to_contain_text("Nina Editor")

    # 6. Publish.
    open_tab(page, "Status")
    page.get_by_label("Published").check()
    save(page, "The status is now Published")
    expect(page.locator(".editor-meta .status-pill")).to_have_text("Published")
    open_tab(page, "History")
    # One row per save: details, occupations and sectors (one tab, one save), related, skills,
    # programs, status.
    expect(page.locator(".history-table tbody tr")).to_have_count(6)
    assert_accessible(page, "editor history")

    credential = db_session.get(Credential, credential_id)
    assert (credential.org_id, credential.status, credential.name) == (org_id, "published", name)
    assert credential.alternate_names == ["PCT", "Care Technician, Patient"]
    assert (credential.credential_type, credential.url) == ("certificate", "https://health.example.gov/pct")
    assert credential.cip_codes == ["51.3902"]
    assert (str(credential.cost_amount), credential.cost_currency, credential.cost_note) == (
        "1450.00", "USD", "Includes the state exam")
    assert (credential.duration_value, credential.duration_unit, credential.delivery_mode) == (16, "weeks", "blended")
    assert credential.keywords == ["patient care", "phlebotomy", "EKG"]
    assert [o.code for o in credential.occupations] == ["29-1141.00", "29-2061.00"]
    assert [s.code for s in credential.sectors] == ["62"]
    assert [(r.kind, r.target_id, r.external_cip, r.external_type, r.external_name) for r in credential.relations] == [
        ("related", related_id, "", "", ""), ("required", None, "51.3801", "license", "Registered Nurse license")]
    assert [(lv.name, lv.position) for lv in credential.custom_levels] == [("Supervised practice", 3)]
    assert [(s.skill_code, s.min_level, s.acquired_level) for s in credential.skills] == [
        ("2.A.2.a", "Novice", "Supervised practice"), ("2.A.1.b", "Intermediate", "Advanced")]
    [program] = credential.programs
    assert (program.provider_org_id, program.provider_name, program.name, program.url) == (
        None, "Springfield Community College", "Patient Care Technician (evening)", "https://scc.example.edu/pct")
    assert (program.delivery_mode, program.duration_value, program.duration_unit, str(program.cost_amount),
            program.location, program.cip_code) == ("in_person", 20, "weeks", "2100.00", "Springfield, IL", "51.3902")
    [note] = credential.notes
    assert (note.body, note.author.email) == ("Exam fee confirmed with the board on the phone.", email)

    # The worker indexes the published credential: the related-credential autocomplete finds it.
    found = wait_for(lambda: page.request.get(
        f"{live_server.url}/api/v1/autocomplete/credentials?q={name.replace(' ', '+')}").json()["items"],
        message="the published credential in the index")
    assert found[0]["label"] == name


def accounts_org(database_url: str, name: str) -> int:
    with session_scope(database_url) as s:
        return accounts.create_org(s, name, ["issuer"]).id
