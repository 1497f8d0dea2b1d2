"""An organization admin imports a spreadsheet in Chromium: upload, fix the mapping, dry run,
confirm; a real Celery worker runs the job, and the public search then finds the programmes by
the certification they prepare for, also as CSV."""
from __future__ import annotations

import csv
import io
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from store.db import session_scope
from store.models import Credential
from tests.conftest import BACKEND
from tests.support.browser import log_in
from tests.support.factories import make_member, wait_for

# The flow has nothing PostgreSQL-specific (the pipeline's tests run on both databases), so the
# second, PostgreSQL run of `make test` skips it rather than start Chromium and a worker again.
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(BACKEND == "postgres", reason="covered on SQLite; no PostgreSQL specifics")]

PASSWORD = "correct horse battery"


def test_upload_dry_run_confirm_then_search_finds_what_it_leads_to(page, live_server, database, worker):
    tag = uuid.uuid4().hex[:6]
    org_id, email = make_member(database, f"Lakeside Workforce Board {tag}", f"ada-{tag}", "admin", PASSWORD,
                                name="Ada Admin")
    sheet = (
        "Program ID,Program Name,Provider Name,CIP Code,Credential Type,Description,Total Cost,Weeks,"
        "Delivery Method,Prepares for\r\n"
        f"LK-{tag}-1,IT Support Bootcamp {tag},Lakeside College {tag},111006,Certificate,"
        "\"Hands-on help desk training.\",\"$2,400\",12,Online,CompTIA A+\r\n"
        f"LK-{tag}-2,Network Basics {tag},Lakeside College {tag},11.0901,Certificate,"
        "Routers and switches.,1800,10,Hybrid,=HYPERLINK(\"x\")\r\n"
    ).encode("cp1252")

    log_in(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/editor/")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Spreadsheet file").set_input_files(
        {"name": "lakeside.csv", "mimeType": "text/csv", "buffer": sheet})
    page.get_by_role("button", name="Upload and check").click()

    # The detected mapping and the first rows as they would be saved; "Prepares for" is not a
    # header the importer knows, so the admin maps it to "Leads to".
    expect(page.get_by_role("heading", name="Import lakeside.csv")).to_be_visible()
    preview = page.locator(".import-preview")
    expect(preview).to_contain_text(f"IT Support Bootcamp {tag}")
    expect(preview).to_contain_text("11.1006")
    expect(preview).to_contain_text("2400.00")
    expect(page.get_by_label("Program Name")).to_have_value("name")
    page.get_by_label("Prepares for").select_option("leads_to")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator(".flash")).to_contain_text("The mapping is saved")
    expect(page.locator(".import-preview")).to_contain_text("CompTIA A+")

    # Dry run in the worker: the page follows its progress, then shows the report; nothing saved.
    page.get_by_label("Publish the imported credentials").check()
    page.get_by_label("Create providers that are not in the catalog yet").check()
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_role("heading", name="Dry run: nothing was saved")).to_be_visible(timeout=60000)
    expect(page.locator(".import-summary")).to_contain_text("2 would be created")
    with session_scope(database) as s:
        assert s.scalars(select(Credential).where(Credential.org_id == org_id)).all() == []

    # Confirm: the same options, now saved and published; the report stays downloadable.
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=60000)
    expect(page.locator(".import-summary")).to_contain_text("2 created")
    report = page.request.get(live_server.url + page.get_by_role("link", name="download CSV").get_attribute("href"))
    rows = list(csv.DictReader(io.StringIO(report.text())))
    assert [r["status"] for r in rows] == ["created", "created"]
    with session_scope(database) as s:
        saved = s.scalars(select(Credential).where(Credential.org_id == org_id).order_by(Credential.id)).all()
        assert [c.status for c in saved] == ["published", "published"]
        assert saved[0].programs[0].provider.name == f"Lakeside College {tag}"
        assert saved[0].relations[0].external_name == "CompTIA A+"

    # The public search finds the programme by the certification it leads to, and so does the CSV.
    api = f"{live_server.url}/api/v1/search?q=CompTIA+A%2B&issuer={org_id}"
    def indexed():
        body = page.request.get(api).json()  # under load a moment's 503 is simply asked again
        return body if body.get("total", 0) >= 1 else None

    hits = wait_for(indexed, timeout=60, message="the imported programme in the index")["hits"]
    assert hits[0]["name"] == f"IT Support Bootcamp {tag}"
    download = page.request.get(f"{live_server.url}/search.csv?issuer={org_id}")
    assert download.headers["content-type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(download.text())))
    assert {r["name"] for r in exported} == {f"IT Support Bootcamp {tag}", f"Network Basics {tag}"}
    page.goto(f"{live_server.url}/search?issuer={org_id}")
    expect(page.get_by_role("link", name="Download results (CSV)")).to_have_attribute(
        "href", f"/search.csv?issuer={org_id}")
