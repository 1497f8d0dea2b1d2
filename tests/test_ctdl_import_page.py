"""The editor's Import page takes CTDL files too: upload, dry run, confirm, report. Through the
Flask test client; the job runs as the Celery task runs it (catalog.imports.jobs.run_job)."""
from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

from sqlalchemy import select

from catalog.accounts import service as accounts
from catalog.imports import jobs
from store.db import session_scope
from store.models import Credential, ImportJob
from tests.test_editor_pages import log_in, make_person, text
from tests.support.factories import wait_for

SAMPLE = Path(__file__).parent / "data" / "ctdl" / "kansas_associate_degree.json"


def _token(client, url) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text(client.get(url))).group(1)


def test_an_admin_imports_a_ctdl_file_with_a_dry_run_first(app, settings, database):
    with session_scope(database) as s:
        org_id = accounts.create_org(s, f"CTDL page {uuid.uuid4().hex[:6]}", ["issuer"]).id
    ctid = f"ce-{uuid.uuid4()}"
    record = json.loads(SAMPLE.read_text())
    record["@graph"][0].update({"ceterms:ctid": ctid.upper(), "@id": "https://example.org/resources/" + ctid})
    admin = app.test_client()
    log_in(admin, make_person(database, org_id, "admin"))

    refused = admin.post("/editor/imports", data={"csrf_token": _token(admin, "/editor/imports"),
                                                  "file": (io.BytesIO(b"{not json"), "broken.json")},
                         content_type="multipart/form-data")
    assert refused.status_code == 422 and "Not JSON" in text(refused)

    uploaded = admin.post("/editor/imports", data={"csrf_token": _token(admin, "/editor/imports"),
                                                   "file": (io.BytesIO(json.dumps(record).encode()), "kansas.json")},
                          content_type="multipart/form-data")
    assert uploaded.status_code == 302
    job_url = uploaded.headers["Location"]
    page = text(admin.get(job_url))
    assert "1 CTDL records" in page and "How the columns are read" not in page
    job_id = int(job_url.rstrip("/").rsplit("/", 1)[1])

    def run(mode: str) -> str:
        admin.post(job_url + "/run", data={"csrf_token": _token(admin, job_url), "mode": mode})
        jobs.run_job(settings, job_id)  # what the worker does with the queued job
        # A test worker may have claimed the job first (its claim is atomic); wait for whichever ran it.
        wait_for(lambda: _finished(database, job_id), 60, 0.2, f"import job {job_id}")
        return text(admin.get(job_url))

    dry = run("dry-run")
    assert "Dry run: nothing was saved" in dry and "1 would be created" in dry
    with session_scope(database) as s:
        assert s.scalar(select(Credential).where(Credential.ctid == ctid)) is None
    done = run("confirm")
    assert "Imported" in done and "1 created" in done
    with session_scope(database) as s:
        credential = s.scalar(select(Credential).where(Credential.ctid == ctid))
        assert credential.org_id == org_id and credential.status == "draft"
        assert s.get(ImportJob, job_id).report["records"][0]["id"] == credential.id
    report = admin.get(job_url + "/report.csv")
    assert report.status_code == 200 and ctid in report.get_data(as_text=True)


def _finished(database: str, job_id: int) -> bool:
    with session_scope(database) as s:
        return s.get(ImportJob, job_id).state in ("done", "failed")
