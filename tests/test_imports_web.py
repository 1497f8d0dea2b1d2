"""The Import page's guards, My Credentials' "Download CSV" and the export rules, through the
Flask test client on the real database (the upload -> dry run -> confirm flow itself runs in
Chromium with a real worker: tests/test_imports_browser.py)."""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import uuid

import pytest
from openpyxl import load_workbook

from catalog.accounts import service as accounts
from catalog.authoring import service
from catalog.imports.export import credential_rows, neutralise, write_xlsx
from store.db import session_scope
from store.models import Credential, ImportJob, Organization
from tests.test_editor_pages import log_in, make_person, text

CSV = b"Program Name,Provider Name,Total Cost\r\nWelding I,Acme College,100\r\n"


@pytest.fixture(scope="module")
def org_id(database):
    with session_scope(database) as s:
        return accounts.create_org(s, f"Import Board {uuid.uuid4().hex[:6]}", ["issuer"]).id


def _token(client, url="/editor/imports") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(url))).group(1)


def _upload(client, content: bytes, name="etpl.csv"):
    return client.post("/editor/imports", data={"csrf_token": _token(client), "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_only_admins_import_and_uploads_are_checked_whole(app, database, org_id):
    editor = app.test_client()
    log_in(editor, make_person(database, org_id, "editor"))
    assert editor.get("/editor/imports").status_code == 403
    assert "Import" not in re.sub(r"<title>.*?</title>", "", text(editor.get("/editor/")))

    admin = app.test_client()
    log_in(admin, make_person(database, org_id, "admin"))
    assert 'href="/editor/imports"' in text(admin.get("/editor/"))
    refused = _upload(admin, b"")
    assert refused.status_code == 422 and "is empty" in text(refused)
    refused = _upload(admin, b"\x00\x01binary" * 100)
    assert refused.status_code == 422 and "binary data" in text(refused)

    # A "1 GB" upload, simulated with a small limit: refused by its size, before it is read.
    app.config["IMPORT_MAX_BYTES"] = 1000
    try:
        too_big = _upload(admin, b"Program Name\r\n" + b"x" * 200_000)
        assert too_big.status_code == 413 and "larger than" in text(too_big)
    finally:
        del app.config["IMPORT_MAX_BYTES"]
    app.config["IMPORT_MAX_ROWS"] = 1
    try:
        too_many = _upload(admin, CSV + b"Welding II,Acme College,200\r\n")
        assert too_many.status_code == 422 and "more than 1 rows" in text(too_many)
    finally:
        del app.config["IMPORT_MAX_ROWS"]
    with session_scope(database) as s:
        assert s.query(ImportJob).filter_by(org_id=org_id).count() == 0, "a refused file leaves no job"

    accepted = _upload(admin, CSV)
    assert accepted.status_code == 302
    page = text(admin.get(accepted.headers["Location"]))
    assert "Welding I" in page and "Acme College" in page and "100.00" in page
    # Confirming before a dry run is refused with a reason.
    job_url = accepted.headers["Location"]
    confirm = admin.post(job_url + "/run", data={"csrf_token": _token(admin, job_url), "mode": "confirm"})
    assert "Run a dry run first" in text(admin.get(confirm.headers["Location"]))
    # With the broker out of reach nothing starts, and the page says so (never a 500).
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    try:
        dry = admin.post(job_url + "/run", data={"csrf_token": _token(admin, job_url), "mode": "dry-run"})
    finally:
        app.config["SETTINGS"] = settings
    assert "could not be reached" in text(admin.get(dry.headers["Location"]))
    with session_scope(database) as s:
        assert s.get(ImportJob, int(job_url.rsplit("/", 1)[1])).state == "uploaded"
    assert editor.get(job_url).status_code == 404, "another org's editor cannot see the job"


def test_download_csv_neutralises_formulas_and_never_shows_notes(app, database, org_id):
    with session_scope(database) as s:
        draft = service.create_credential(s, None, org_id, {"name": "=HYPERLINK(\"http://evil\")",
                                                            "description": "@SUM(1+1)", "credential_type": "badge"})
        service.add_note(s, None, draft, "internal note: do not share")
        published = service.create_credential(s, None, org_id, {"name": "-Minus Course", "credential_type": "badge",
                                                                "description": "+Call now"})
        service.set_status(s, None, published, "published")
    client = app.test_client()
    log_in(client, make_person(database, org_id, "editor"))
    response = client.get("/editor/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    names = {r["name"] for r in rows}
    assert "'=HYPERLINK(\"http://evil\")" in names and "'-Minus Course" in names
    assert {r["description"] for r in rows} >= {"'@SUM(1+1)", "'+Call now"}
    assert "internal note" not in body
    with session_scope(database) as s:
        public = list(credential_rows(s, org_id, audience="public"))
    assert [r["name"] for r in public] == ["-Minus Course"], "drafts are never in public exports"


def test_export_table_cli_writes_csv_and_xlsx(app, database, org_id, tmp_path):
    from click.testing import CliRunner

    from cli import main

    with session_scope(database) as s:
        org_name = s.get(Organization, org_id).name
        service.create_credential(s, None, org_id, {"name": "=SUM(9)*cmd", "credential_type": "badge"})
    runner = CliRunner()
    out = tmp_path / "all.xlsx"
    result = runner.invoke(main, ["export", "table", "--org", org_name, "--format", "xlsx", "--output", str(out)],
                           obj=app.config["SETTINGS"])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out, read_only=True).worksheets[0]
    cells = [row for row in sheet.iter_rows(values_only=True)]
    assert cells[0][2] == "name" and any(r[2] == "'=SUM(9)*cmd" for r in cells[1:])
    assert all(not str(v or "").startswith("=") for r in cells for v in r), "no formula reaches the workbook"
    result = runner.invoke(main, ["export", "table", "--org", org_name], obj=app.config["SETTINGS"])
    assert result.exit_code == 0 and "name,status" in result.output.replace("external_id,", "")


def test_import_table_cli_dry_run_and_report(app, database, org_id, tmp_path):
    from click.testing import CliRunner

    from cli import main

    path = tmp_path / "programs.csv"
    path.write_bytes(CSV.replace(b"Welding I", b"Pipe Welding"))
    report_json, report_csv = tmp_path / "report.json", tmp_path / "report.csv"
    with session_scope(database) as s:
        org_name = s.get(Organization, org_id).name
    runner = CliRunner()
    result = runner.invoke(main, ["import", "table", str(path), "--org", org_name, "--dry-run", "--report",
                                  str(report_json), "--report", str(report_csv)], obj=app.config["SETTINGS"])
    assert result.exit_code == 0, result.output
    assert "dry run: programs.csv: 1 created, 0 updated, 0 unchanged, 0 failed" in result.output
    assert "Program Name -> name" in result.output
    assert '"summary"' in report_json.read_text() and report_csv.read_text().startswith("row,id,status")
    with session_scope(database) as s:
        assert s.query(Credential).filter_by(name="Pipe Welding").count() == 0
    bad = runner.invoke(main, ["import", "table", str(path), "--org", org_name, "--map", "Nope=name"],
                        obj=app.config["SETTINGS"])
    assert bad.exit_code == 1 and "there is no column 'Nope'" in bad.output


def test_neutralise():
    assert [neutralise(v) for v in ("=1+1", "+1", "-1", "@x", "\tx", "\rx", "plain", None, 12)] == \
        ["'=1+1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "plain", "", "12"]


def test_write_xlsx_rows(tmp_path):
    path = tmp_path / "x.xlsx"
    assert write_xlsx([{"name": "=cmd|' /C calc'!A0"}], path, ("name",)) == 1
    assert load_workbook(path).worksheets[0]["A2"].value == "'=cmd|' /C calc'!A0"


def test_search_csv_refuses_a_bad_search_with_a_message(client):
    response = client.get("/search.csv?sort=sideways")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "sort" in response.get_data(as_text=True)
