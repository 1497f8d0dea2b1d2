"""An organization admin imports a real Credential Registry record in Chromium: upload, dry run,
confirm with publishing; a real Celery worker runs the job, and the credential then answers as
CTDL JSON-LD under the same CTID."""
from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import select

from store.db import session_scope
from store.models import Credential
from tests.support.browser import log_in
from tests.support.factories import make_member

PASSWORD = "correct horse battery"
SAMPLE = Path(__file__).parent / "data" / "ctdl" / "certification_detailed.json"


def test_import_ctdl_in_the_editor_then_read_it_back_as_json_ld(page, live_server, database, worker):
    tag = uuid.uuid4().hex[:6]
    ctid = f"ce-{uuid.uuid4()}"
    record = SAMPLE.read_text().replace("ce-509682bb-658e-4eb6-87f2-ebff5d5e0aec", ctid)
    _org_id, email = make_member(database, f"Registry Board {tag}", f"ctdl-{tag}", "admin", PASSWORD)

    log_in(page, live_server.url, email, PASSWORD)
    page.goto(f"{live_server.url}/editor/imports")
    page.get_by_label("Spreadsheet file").set_input_files(
        {"name": "certification.json", "mimeType": "application/ld+json", "buffer": record.encode()})
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Import certification.json")).to_be_visible()

    page.get_by_label("Publish the imported credentials").check()
    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_role("heading", name="Dry run: nothing was saved")).to_be_visible(timeout=60000)
    expect(page.locator(".import-summary")).to_contain_text("1 would be created")
    # What was normalised and what only has a name is in the report, with its JSON path.
    problems = page.locator(".import-problems")
    expect(problems).to_contain_text("ceterms:occupationType[0]")
    expect(problems).to_contain_text("normalised to 15-1212.00")

    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=60000)
    expect(page.locator(".import-summary")).to_contain_text("1 created")
    with session_scope(database) as s:
        credential = s.scalar(select(Credential).where(Credential.ctid == ctid))
        assert credential.status == "published"
        credential_id = credential.id
    exported = page.request.get(f"{live_server.url}/credentials/{credential_id}",
                                headers={"Accept": "application/ld+json"}).json()
    node = exported["@graph"][0]
    assert node["ceterms:ctid"] == ctid and node["@type"] == "ceterms:Certification"
    assert node["ceterms:jurisdiction"][0]["ceterms:description"] == {"en-US": "Description of Jurisdiction"}
