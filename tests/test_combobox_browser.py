"""The editor's pickers in headless Chromium, on /widgets/combobox, against the live autocomplete API.

wait_for_function gets functions (`() => ...`), not bare expressions: Playwright runs a bare
expression through eval() in the page, which the site's Content-Security-Policy forbids.
"""
from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.browser

OCCUPATIONS = "#occupation-input"


@pytest.fixture()
def pickers(live_server, page):
    page.goto(f"{live_server.url}/widgets/combobox")
    page.wait_for_function("() => document.querySelector('#occupation-input').getAttribute('role') === 'combobox'")
    return page


def listbox_of(page, selector: str):
    return page.locator("#" + page.get_attribute(selector, "aria-controls"))


def events(page) -> list[str]:
    return page.locator("#widget-events li").all_inner_texts()


def test_type_regist_nur_and_pick_registered_nurses_with_the_keyboard(pickers):
    page = pickers
    combo = page.locator(OCCUPATIONS)
    assert combo.get_attribute("role") == "combobox"
    assert combo.get_attribute("aria-autocomplete") == "list"
    assert combo.get_attribute("aria-expanded") == "false"
    listbox = listbox_of(page, OCCUPATIONS)
    assert listbox.get_attribute("role") == "listbox"
    label_id = listbox.get_attribute("aria-labelledby")
    assert page.locator(f"#{label_id}").inner_text() == "Occupations"

    combo.press_sequentially("regist nur", delay=30)
    option = listbox.get_by_role("option").first
    option.wait_for()
    assert combo.get_attribute("aria-expanded") == "true"
    assert "Registered Nurses" in option.inner_text()
    assert combo.get_attribute("aria-activedescendant") is None, "nothing is active before the arrow keys"

    combo.press("ArrowDown")
    assert combo.get_attribute("aria-activedescendant") == option.get_attribute("id")
    assert option.get_attribute("aria-selected") == "true"
    assert listbox.locator("[role=option][aria-selected=true]").count() == 1
    combo.press("ArrowDown")
    combo.press("ArrowUp")
    assert option.get_attribute("aria-selected") == "true"

    combo.press("Enter")
    chip = page.locator(".combobox .combobox-chip")
    assert chip.count() == 1
    assert chip.get_attribute("data-id") == "29-1141.00"
    assert "Registered Nurses" in chip.inner_text()
    assert combo.get_attribute("aria-expanded") == "false"
    assert combo.get_attribute("aria-activedescendant") is None
    assert combo.input_value() == ""
    assert page.url.endswith("/widgets/combobox"), "Enter picked; it did not submit the form"
    assert events(page) == ["combobox:select 29-1141.00"]


def test_the_matched_alternate_title_is_shown_and_escape_closes(pickers):
    page = pickers
    combo = page.locator(OCCUPATIONS)
    combo.press_sequentially("RN", delay=30)
    option = listbox_of(page, OCCUPATIONS).get_by_role("option").first
    option.wait_for()
    assert re.match(r"RN\s*→\s*Registered Nurses", option.inner_text())
    assert "29-1141.00" in option.inner_text()
    status = page.locator(".combobox").first.locator("[role=status]")
    assert "suggestion" in status.inner_text()

    combo.press("Escape")
    assert combo.get_attribute("aria-expanded") == "false"
    assert combo.input_value() == "RN"
    combo.press("Escape")
    assert combo.input_value() == "", "a second Escape clears the text"


def test_multi_select_chips_then_add_occupations(pickers):
    page = pickers
    combo = page.locator(OCCUPATIONS)
    listbox = listbox_of(page, OCCUPATIONS)
    add = page.get_by_role("button", name="Add occupations").first
    assert add.is_disabled()
    picks = [("RN", "Registered Nurses"), ("cop", "Police and Sheriff's Patrol Officers"),
             ("29-2061", "Licensed Practical and Licensed Vocational Nurses")]
    for n, (text, label) in enumerate(picks):
        combo.press_sequentially(text, delay=30)
        first_option = listbox.get_by_role("option").first
        first_option.wait_for()
        assert label in first_option.inner_text()
        combo.press("ArrowDown")
        combo.press("Enter")
        page.locator(".combobox .combobox-chip").nth(n).wait_for()
    staged = page.locator(".combobox .combobox-chips .combobox-chip")
    assert [staged.nth(i).get_attribute("data-id") for i in range(3)] == ["29-1141.00", "33-3051.00", "29-2061.00"]
    assert page.locator(".combobox .combobox-chips input[type=hidden]:disabled").count() == 3, "not added yet"
    assert add.is_enabled()

    page.get_by_role("button", name="Remove Police and Sheriff's Patrol Officers").click()
    assert staged.count() == 2

    combo.press_sequentially("RN", delay=30)                      # already chosen: not offered again
    listbox.get_by_role("option").first.wait_for()
    assert "29-1141.00" not in listbox.inner_text()
    combo.press("Escape")

    add.click()
    target = page.locator("#chosen-occupations .combobox-chip")
    assert [target.nth(i).get_attribute("data-id") for i in range(target.count())] == ["29-1141.00", "29-2061.00"]
    assert staged.count() == 0 and add.is_disabled()
    assert "combobox:add 29-1141.00, 29-2061.00" in events(page)
    assert "combobox:remove 33-3051.00" in events(page)

    page.get_by_role("button", name="Show what this form submits").click()
    page.locator("#submitted").wait_for()
    assert page.locator("[data-field=occupations]").inner_text() == "29-1141.00, 29-2061.00"


def test_list_all_matching_occupations_with_checkboxes(pickers):
    page = pickers
    search = page.locator("#occupation-search")
    search.fill("nurse")
    search.press("Enter")
    count = page.locator(".picklist [role=status]")
    page.wait_for_function("() => /^\\d+ of \\d+$/.test(document.querySelector('.picklist [role=status]').textContent)")
    shown, total = map(int, re.match(r"(\d+) of (\d+)", count.inner_text()).groups())
    boxes = page.locator(".picklist input[type=checkbox]")
    assert boxes.count() == shown and 1 < shown <= 50 and total >= shown
    assert page.url.endswith("/widgets/combobox"), "Enter searched; it did not submit the form"

    add = page.locator(".picklist").get_by_role("button", name="Add occupations")
    assert add.is_disabled()
    page.locator(".picklist").get_by_label(re.compile(r"^Registered Nurses")).check()
    page.locator(".picklist").get_by_label(re.compile(r"^Nurse Practitioners")).check()
    add.click()
    target = page.locator("#chosen-occupations .combobox-chip")
    assert sorted(target.nth(i).get_attribute("data-id") for i in range(target.count())) == ["29-1141.00", "29-1171.00"]
    assert page.locator("#chosen-occupations input[type=hidden]:enabled").count() == 2

    search.fill("nurse")
    search.press("Enter")
    page.wait_for_function("() => /^\\d+ of \\d+$/.test(document.querySelector('.picklist [role=status]').textContent)")
    listed = page.locator(".picklist-results").inner_text()
    assert "Registered Nurses" not in listed, "what is already added is not listed again"


def test_everything_at_once_beyond_the_default_ten(pickers):
    page = pickers
    search = page.locator("#occupation-search")
    search.fill("29")
    search.press("Enter")
    page.wait_for_function("() => /^\\d+ of \\d+$/.test(document.querySelector('.picklist [role=status]').textContent)")
    shown, total = map(int, re.match(r"(\d+) of (\d+)", page.locator(".picklist [role=status]").inner_text()).groups())
    assert shown == 50 and total > 50


def test_single_select_fills_the_field_and_submits_the_code(pickers):
    page = pickers
    sector = page.locator("#sector-input")
    sector.press_sequentially("hospitals", delay=20)
    listbox_of(page, "#sector-input").get_by_role("option").first.wait_for()
    sector.press("ArrowDown")
    sector.press("Enter")
    assert sector.input_value() == "Hospitals"
    assert page.locator("input[type=hidden][name=sector]").input_value() == "622"
    sector.press("End")
    sector.press("Backspace")
    assert page.locator("input[type=hidden][name=sector]").input_value() == "", "edited text no longer names 622"
    sector.press_sequentially("s", delay=20)
    listbox_of(page, "#sector-input").get_by_role("option").first.wait_for()
    sector.press("ArrowDown")
    sector.press("Enter")
    page.get_by_role("button", name="Show what this form submits").click()
    page.locator("#submitted").wait_for()
    assert page.locator("[data-field=sector]").inner_text() == "622"


def test_an_unavailable_search_says_so(pickers):
    page = pickers
    page.route("**/api/v1/autocomplete/**", lambda route: route.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": "search_unavailable", "message": "search is unavailable right now; try again in a moment"})))
    combo = page.locator(OCCUPATIONS)
    combo.press_sequentially("nurse", delay=20)
    status = page.locator(".combobox").first.locator("[role=status]")
    page.wait_for_function("() => document.querySelector('.combobox [role=status]').textContent.includes('unavailable')")
    assert "try again" in status.inner_text()
    assert combo.get_attribute("aria-expanded") == "false"


def test_enter_right_after_typing_never_picks_a_suggestion_for_older_text(pickers):
    page = pickers
    combo = page.locator(OCCUPATIONS)
    combo.press_sequentially("regist", delay=30)
    listbox_of(page, OCCUPATIONS).get_by_role("option").first.wait_for()
    combo.press("ArrowDown")
    state = page.evaluate("""() => {
        const input = document.querySelector('#occupation-input');
        input.value += 'ered nurse practitioner';
        input.dispatchEvent(new Event('input', {bubbles: true}));
        const after = [input.getAttribute('aria-expanded'), input.getAttribute('aria-activedescendant')];
        input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true, cancelable: true}));
        return after.concat([document.querySelectorAll('.combobox .combobox-chip').length]);
    }""")
    assert state == ["false", None, 0]
    option = listbox_of(page, OCCUPATIONS).get_by_role("option").first
    option.wait_for()
    assert "Nurse Practitioners" in option.inner_text()
