"""The editor and the public pages as people really use them (issue 16), in headless Chromium.

Keyboards (arrow keys in both search boxes, Enter in the editor's "add" boxes), phones (every
page at 360 and 390 px without horizontal scroll), no JavaScript (a visible notice, nothing typed
is dropped silently), the unsaved-changes warning, and the seed's buttons (two programmes in one
save, "Add experiences", the public link after publishing). axe-core checks every page state.

One browser context per mode and one module-scoped catalog keep this file to a few page loads per
check. The pages behave the same on both databases, so the PostgreSQL pass of `make test` skips
it (conftest.BACKEND).
"""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from catalog.accounts import service as accounts
from store.db import session_scope
from store.models import Credential
from tests.conftest import BACKEND
from tests.support.accessibility import assert_accessible, assert_accessible_without_javascript
from tests.support.browser import log_in as log_in_through_form
from tests.support.factories import make_credential, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(BACKEND == "postgres", reason="browser behaviour; the SQLite pass covers it")]

PASSWORD = "correct horse battery"
PHONE_SHOTS = Path(__file__).resolve().parent / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def catalog(database, worker, live_server):
    """An issuing and education-providing org, its editor (a platform admin too, so the admin page
    is walked), one published credential with a programme and relations, and one draft."""
    tag = uuid.uuid4().hex[:6]
    with session_scope(database) as s:
        org = accounts.create_org(s, f"Lakeside Technical College {tag}", ["issuer", "education_provider"])
        other = accounts.create_org(s, f"Northfield Adult School {tag}", ["education_provider"])
        user = accounts.create_user(s, f"uma-{tag}@example.org", PASSWORD, name="Uma Editor", platform_admin=True)
        accounts.grant(s, user, org, "admin")
        org_id, other_id, email = org.id, other.id, user.email
    published = make_credential(database, org_id, name=f"Commercial Driver License Class A {tag}",
                                credential_type="license", occupations=("53-3032.00",), sectors=("484",),
                                skills=(("2.A.1.a", "Novice", "Advanced"), ("2.A.2.a", "None", "Intermediate")))
    draft = make_credential(database, org_id, publish=False, name=f"Hazmat Endorsement {tag}")
    from catalog.authoring import service

    with session_scope(database) as s:
        credential = s.get(Credential, published)
        service.save_section(s, None, credential, "programs", [{
            "provider_org_id": other_id, "name": "CDL evening course, twelve weeks", "delivery_mode": "in_person",
            "location": "Northfield, MN", "cip": "49.0205", "cost": "4200.00",
            "duration": {"value": 12, "unit": "weeks"}}])
        service.save_section(s, None, credential, "related", [{"kind": "related", "credential_id": draft},
                             {"kind": "required", "cip": "49.0205", "type": "certificate", "name": "Driver safety"}])
    wait_for(lambda: live_server and _indexed(live_server.url, published), timeout=60,
             message="the published credential in the index")
    # Warm the suggestion indices once: a cold first query on a busy machine can pass the web timeout.
    wait_for(lambda: all(_suggests(live_server.url, v) for v in ("occupations", "skills")), timeout=60,
             message="occupation and skill suggestions")
    return {"tag": tag, "org": org_id, "provider": other_id, "email": email,
            "published": published, "draft": draft}


def _suggests(url: str, vocabulary: str) -> bool:
    import requests

    answer = requests.get(f"{url}/api/v1/autocomplete/{vocabulary}?q=truck+driv", timeout=10)
    return answer.status_code == 200 and bool(answer.json()["items"])


def _indexed(url: str, credential_id: int) -> bool:
    import requests

    return requests.get(f"{url}/credentials/{credential_id}", timeout=5).status_code == 200


def log_in(page, url: str, email: str):
    log_in_through_form(page, url, email, PASSWORD)


def tab_url(base: str, credential_id: int, slug: str) -> str:
    return f"{base}/editor/credentials/{credential_id}/{slug}"


# --- keyboards -----------------------------------------------------------------------------------


def _active_option(page, box) -> str:
    active = box.get_attribute("aria-activedescendant")
    return page.locator(f"#{active}").inner_text() if active else ""


def test_arrow_keys_drive_suggestions_and_enter_adds_in_the_editor(page, live_server, catalog):
    for path in ("/", "/search"):
        page.goto(f"{live_server.url}{path}")
        box = page.get_by_role("combobox").first
        box.fill("truck driv")
        options = page.locator('[role="listbox"] [role="option"]')
        expect(options.first).to_be_visible()
        count = options.count()
        assert count >= 2
        assert_accessible(page, f"{path} with suggestions open")
        # Down walks every option in order, then wraps to the text box; Up walks back from the last.
        seen = []
        for _ in range(count):
            box.press("ArrowDown")
            seen.append(box.get_attribute("aria-activedescendant"))
        assert seen == [options.nth(i).get_attribute("id") for i in range(count)]
        assert options.nth(count - 1).get_attribute("aria-selected") == "true"
        box.press("ArrowDown")
        assert box.get_attribute("aria-activedescendant") is None
        box.press("ArrowUp")
        assert box.get_attribute("aria-activedescendant") == seen[-1]
        box.press("ArrowUp")
        assert box.get_attribute("aria-activedescendant") == seen[-2]
        target = options.nth(count - 2).get_attribute("href")
        box.press("Enter")
        page.wait_for_url(f"**{target}")

    log_in(page, live_server.url, catalog["email"])
    page.goto(tab_url(live_server.url, catalog["draft"], "skills"))
    summary = page.get_by_text("+ Custom experience level")
    summary.focus()
    summary.press("Enter")  # Enter on the summary opens the box, as Space does
    name = page.get_by_label("Level name")
    expect(name).to_be_visible()
    name.fill("Road test passed")
    name.press("Enter")  # adds the level; does not submit the tab
    expect(page.locator("[data-level-list] li", has_text="Road test passed")).to_be_visible()
    assert "/skills" in page.url and not page.locator(".flash").count()
    assert_accessible(page, "skills tab with a custom level")

    page.goto(tab_url(live_server.url, catalog["draft"], "related"))
    required = page.locator('[data-relation-group="required"]')
    opener = required.get_by_text("Not in the catalog?")
    opener.focus()
    opener.press("Enter")
    cip = required.get_by_role("combobox", name="CIP code")
    expect(cip).to_be_visible()
    cip.fill("49.0205")
    required.get_by_label("Credential type").select_option("certificate")
    required.get_by_label("Name").fill("Forklift safety")
    required.get_by_label("Name").press("Enter")
    expect(required.locator(".relation", has_text="Forklift safety")).to_be_visible()
    assert_accessible(page, "related tab with a reference added")


# --- phones --------------------------------------------------------------------------------------


def _pages(base: str, catalog: dict, logged_in: bool) -> list[str]:
    public = ["/", "/search", "/search?q=driver", "/browse/occupations", "/browse/sectors",
              f"/credentials/{catalog['published']}"]
    if not logged_in:
        return public + ["/login", "/register"]
    c = catalog["published"]
    return public + ["/editor/", "/editor/new", "/account", "/access-request", "/admin/access-requests",
                     f"/orgs/{catalog['org']}"] + [
        f"/editor/credentials/{c}/{slug}" for slug in
        ("details", "occupations", "related", "skills", "programs", "notes", "status", "history")]


PHONE_SHOT_PAGES = {"/": "home", "/search?q=driver": "search", "/editor/": "my-credentials"}
PHONE_SHOT_TABS = {"skills": "editor-skills", "programs": "editor-programs", "occupations": "editor-occupations"}


@pytest.mark.parametrize("width", [360, 390])
def test_every_page_fits_a_phone(browser, live_server, catalog, width):
    """No page is wider than the phone: the document's scrollWidth stays within innerWidth.

    A plain narrow viewport, not mobile emulation: with it Chromium widens the layout viewport to
    fit wide content, and innerWidth would grow along with the overflow it should reveal."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    PHONE_SHOTS.mkdir(parents=True, exist_ok=True)
    wide = []
    try:
        for logged_in in (False, True):
            if logged_in:
                log_in(page, live_server.url, catalog["email"])
            for path in _pages(live_server.url, catalog, logged_in):
                response = page.goto(f"{live_server.url}{path}", wait_until="load")
                assert response.status == 200, path
                scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                assert inner == width
                if scroll > inner:
                    culprits = page.evaluate("""(w) => Array.from(document.querySelectorAll('body *'))
                        .filter(e => e.getBoundingClientRect().right > w + 1)
                        .slice(0, 4).map(e => e.tagName + '.' + e.className + '#' + e.id)""", inner)
                    wide.append(f"{path} ({'in' if logged_in else 'out'}): {scroll} px > {inner}: {culprits}")
                if width == 390:
                    assert_accessible(page, f"{path} at {width} px")
                    name = PHONE_SHOT_PAGES.get(path) or PHONE_SHOT_TABS.get(path.rsplit("/", 1)[-1])
                    if name and (logged_in or path == "/"):
                        page.screenshot(path=str(PHONE_SHOTS / f"phone-{name}.png"), full_page=True)
        # Logged in, Account and Log out are on the screen, not beyond its right edge.
        for name in ("Account", "Log out"):
            box = page.locator(".site-header").get_by_role("link" if name == "Account" else "button", name=name)
            right = box.bounding_box()
            assert right and right["x"] + right["width"] <= width, name
        # Public search folds its filters behind a button on a phone.
        page.goto(f"{live_server.url}/search?q=driver")
        toggle = page.get_by_role("button", name=re.compile("^Filters"))
        expect(toggle).to_be_visible()
        expect(page.locator(".facets")).to_be_hidden()
        toggle.click()
        expect(page.locator(".facets")).to_be_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        if width == 390:
            assert_accessible(page, "search with the filters open")
        assert not wide, "pages wider than the phone:\n" + "\n".join(wide)
    finally:
        context.close()


# --- without JavaScript --------------------------------------------------------------------------


def choose_issuer(page, catalog) -> None:
    """A platform admin chooses among every issuing organization once there are several (earlier
    tests in the run make many); with one, the form has no choice to make."""
    issuer = page.get_by_label("Issuing organization")
    if issuer.count():
        issuer.select_option(label=f"Lakeside Technical College {catalog['tag']}")


def test_without_javascript_the_editor_says_so_and_drops_nothing(browser, live_server, catalog, database):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    checker_context = browser.new_context(viewport={"width": 1280, "height": 900})
    checker = checker_context.new_page()

    def assert_accessible(page, state):  # axe needs timers, which a page without JavaScript never runs
        assert_accessible_without_javascript(page, checker, state)

    try:
        log_in(page, live_server.url, catalog["email"])
        # Create Credential: the notice, and a CIP code typed in the plain box is saved.
        page.goto(f"{live_server.url}/editor/new")
        expect(page.locator(".nojs-notice")).to_contain_text("JavaScript is off")
        expect(page.get_by_role("textbox", name="Add a CIP code")).to_be_hidden()  # would drop what is typed
        assert_accessible(page, "create credential without JavaScript")
        name = f"Forklift Operator {catalog['tag']}"
        page.get_by_label("Credential name").fill(name)
        choose_issuer(page, catalog)
        page.get_by_label("Credential type").select_option("certificate")
        page.get_by_label("CIP codes to add").fill("49.0202, 99.9999")
        page.get_by_role("button", name="Create credential").click()
        # A code that is not in CIP 2020 is named in the error, and the good one is still there.
        expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("#chosen-cip_codes")).to_contain_text("49.0202")
        assert_accessible(page, "create credential refused without JavaScript")
        with session_scope(database) as s:
            assert s.query(Credential).filter_by(name=name).count() == 0

        page.goto(f"{live_server.url}/editor/new")
        page.get_by_label("Credential name").fill(name)
        choose_issuer(page, catalog)
        page.get_by_label("Credential type").select_option("certificate")
        page.get_by_label("CIP codes to add").fill("49.0202")
        page.get_by_role("button", name="Create credential").click()
        expect(page.locator(".flash")).to_contain_text("is created as a draft")
        created = int(re.search(r"/credentials/(\d+)/details", page.url).group(1))
        with session_scope(database) as s:
            assert s.get(Credential, created).cip_codes == ["49.0202"]

        # Saving a tab keeps every choice saved before (chips carry their own hidden inputs); a
        # × that needs JavaScript is hidden rather than left doing nothing.
        c = catalog["published"]
        for slug in ("occupations", "related", "skills"):
            page.goto(tab_url(live_server.url, c, slug))
            expect(page.locator(".nojs-notice")).to_be_visible()
            for remove in page.locator("button[type=button].chip-remove, button[type=button].combobox-chip-remove").all():
                expect(remove).to_be_hidden()
            assert_accessible(page, f"{slug} tab without JavaScript")
            page.get_by_role("button", name="Save changes").click()
            expect(page.locator(".flash")).to_contain_text("nothing had changed")
        # A row's × is a real submit button (the pickers' work): the tab comes back without the row,
        # nothing saved yet.
        page.goto(tab_url(live_server.url, c, "skills"))
        page.get_by_role("button", name="Remove Critical Thinking").click()
        expect(page.locator("[data-skill-rows] tr")).to_have_count(1)
        page.goto(tab_url(live_server.url, c, "related"))
        page.get_by_role("button", name="Remove Driver safety").click()
        expect(page.locator('[data-relation-group="required"] .relation')).to_have_count(0)
        expect(page.locator('[data-relation-group="related"] .relation')).to_have_count(1)
        with session_scope(database) as s:
            assert len(s.get(Credential, c).skills) == 2 and len(s.get(Credential, c).relations) == 2

        # "+ Add education program" posts the form: the programme typed so far is kept, with a new blank one.
        page.goto(tab_url(live_server.url, c, "programs"))
        expect(page.locator(".nojs-note").first).to_contain_text("stays the provider")
        new = page.locator(".program-new")
        new.get_by_label("Or the provider's name").fill("Riverside Driving School")
        new.get_by_label("Program name").fill("Weekend CDL course")
        page.get_by_role("button", name="+ Add education program").click()
        expect(page.locator("[data-unsaved]")).to_contain_text("Not saved yet")
        expect(page.locator('input[name="programs-1-name"]')).to_have_value("Weekend CDL course")
        expect(page.locator('input[name="programs-2-name"]')).to_have_value("")
        assert_accessible(page, "programs tab after adding a form without JavaScript")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator(".flash")).to_contain_text("are saved")
        with session_scope(database) as s:
            programs = s.get(Credential, c).programs
            assert [(p.name, p.provider_org_id) for p in programs] == [
                ("CDL evening course, twelve weeks", catalog["provider"]), ("Weekend CDL course", None)]
    finally:
        context.close()
        checker_context.close()


# --- unsaved changes and the seed's buttons ------------------------------------------------------


def test_unsaved_changes_warn_and_the_seed_buttons_work(page, live_server, catalog, database):
    log_in(page, live_server.url, catalog["email"])
    draft = catalog["draft"]
    dialogs = []

    def answer(accept: bool):
        def handle(dialog):
            dialogs.append((dialog.type, dialog.message))
            dialog.accept() if accept else dialog.dismiss()
        page.once("dialog", handle)

    # A sector picked but not saved: "Next" asks, and staying keeps it; leaving by a tab link goes.
    page.goto(tab_url(live_server.url, draft, "occupations"))
    page.wait_for_load_state()
    page.get_by_role("combobox", name="Add a sector").fill("truck transport")
    page.get_by_role("option", name=re.compile("Truck Transportation")).first.click()
    expect(page.locator("#chosen-sectors .combobox-chip")).to_have_count(2)
    answer(accept=False)
    page.get_by_role("link", name=re.compile("^Next: Related credentials")).click()
    assert dialogs and dialogs[-1][0] == "confirm" and "not saved" in dialogs[-1][1]
    assert page.url.endswith("/occupations")
    expect(page.locator("#chosen-sectors .combobox-chip")).to_have_count(2)
    answer(accept=True)
    page.locator(".editor-tabs").get_by_role("link", name="Skills and experience").click()
    page.wait_for_url("**/skills")
    count = len(dialogs)

    # "Add experiences": the levels chosen go to the ticked skills. Nothing changed yet: no prompt.
    page.get_by_role("combobox", name="Add a skill").fill("critical think")
    page.get_by_role("option", name=re.compile("^Critical Thinking")).first.click()
    rows = page.locator("[data-skill-rows] tr")
    expect(rows).to_have_count(2)
    for i in range(2):
        rows.nth(i).locator("[data-select-skill]").check()
    page.get_by_label("Minimum experience", exact=True).select_option("Novice")
    page.get_by_label("Level acquired", exact=True).select_option("Expert")
    page.get_by_role("button", name="Add experiences").click()
    expect(page.locator("[data-bulk-levels] [role=status]")).to_contain_text("applied to 2 skills")
    assert_accessible(page, "skills after Add experiences")
    page.get_by_role("button", name="Save changes").click()  # saving is not leaving: no prompt
    expect(page.locator(".flash")).to_contain_text("are saved")
    assert len(dialogs) == count
    with session_scope(database) as s:
        assert sorted((x.skill_code, x.min_level, x.acquired_level) for x in s.get(Credential, draft).skills) == [
            ("2.A.1.a", "Novice", "Expert"), ("2.A.2.a", "Novice", "Expert")]

    # Two programmes in one save, the first provider by autocomplete over education providers.
    page.goto(tab_url(live_server.url, draft, "programs"))
    page.wait_for_load_state()
    first = page.locator(".program-new")
    first.get_by_role("combobox", name="Provider in the catalog").fill("Northfield Adult")
    page.get_by_role("option", name=re.compile("Northfield Adult School")).first.click()
    first.get_by_label("Program name").fill("Hazmat evening course")
    page.get_by_role("button", name="+ Add education program").click()
    second = page.get_by_role("group", name="Another program")
    expect(second).to_be_visible()
    second.get_by_label("Or the provider's name").fill("Online Hazmat Academy")
    second.get_by_label("Program name").fill("Hazmat online course")
    assert_accessible(page, "programs with a second form added")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash")).to_contain_text("are saved")
    with session_scope(database) as s:
        assert [(p.provider_org_id, p.provider_name, p.name) for p in s.get(Credential, draft).programs] == [
            (catalog["provider"], "", "Hazmat evening course"), (None, "Online Hazmat Academy", "Hazmat online course")]

    # The Status step is last, and after publishing it links to the public page.
    tabs = page.locator(".editor-tabs li:not(.tab-history) a")
    expect(tabs.last).to_contain_text("Status")
    tabs.last.click()
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".public-link a")).to_have_attribute("href", f"/credentials/{draft}")
    assert_accessible(page, "status after publishing")

    # Reloading or closing with unsaved changes gets the browser's own prompt: the page cancels
    # beforeunload only then. (The event is dispatched here because headless Chromium shows the
    # prompt only to pages with a real user gesture.)
    page.goto(tab_url(live_server.url, draft, "details"))
    page.wait_for_load_state()
    leaving = "() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; }"
    assert page.evaluate(leaving) is False
    page.get_by_label("Keywords").fill("hazardous materials, placards")
    assert page.evaluate(leaving) is True
