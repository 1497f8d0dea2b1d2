"""An import's memory does not grow with its file: the report keeps its first rows and spools the
rest (catalog.imports.report), the file's keys live in a temporary SQLite file (diskmap.py), and an
import job stores every row compressed beside a capped report (jobs.store_report). Asserted on
structure (what is kept in memory, what the files hold), with the caps made small; the memory
figures themselves are in bench/import_table.py."""
from __future__ import annotations

import csv
import gzip
import io
import json
import os
import uuid
from pathlib import Path

import pytest

from catalog.accounts import service as accounts
from catalog.ctdl.imports import run_import as run_ctdl_import
from catalog.ctdl.sources import read_text
from catalog.imports import jobs
from catalog.imports import report as report_module
from catalog.imports.export import report_lines
from catalog.imports.pipeline import ImportOptions, run_import
from catalog.imports.records import ImportRecord
from catalog.imports.report import Report
from catalog.imports.diskmap import DiskMap
from store.db import session_scope
from store.models import ImportJob, Organization
from tests.test_editor_pages import log_in, make_person, text


def _item(row: int, status: str = "created", problems=()) -> dict:
    return {"row": row, "id": row * 10 if status != "failed" else None, "status": status, "name": f"Course {row}",
            "problems": [{"column": "Name", "value": "x", "reason": reason} for reason in problems]}


def test_a_report_keeps_its_first_rows_and_spools_the_rest():
    report = Report({"kind": "table", "mapping": {"Name": "name"}}, keep=3)
    items = [_item(n, "failed" if n == 9 else "created", ["too long"] if n == 9 else ()) for n in range(2, 12)]
    for item in items:
        report.add(item)
    assert len(report.kept) == 3 and not report.complete and report.count == 10
    assert report.summary == {"created": 9, "updated": 0, "unchanged": 0, "failed": 1}
    assert list(report.rows()) == items and list(report.rows()) == items, "read back in order, as often as asked"
    assert report["rows"] == items and report["mapping"] == {"Name": "name"} and report["summary"] is report.summary
    out = io.StringIO()
    report.write_json(out)
    assert json.loads(out.getvalue()) == {"kind": "table", "mapping": {"Name": "name"}, "summary": report.summary,
                                          "rows": items}
    lines = list(csv.DictReader(io.StringIO("".join(report_lines(report.rows())))))
    assert [int(r["row"]) for r in lines] == list(range(2, 12)) and lines[7]["reason"] == "too long"
    spool = report._spool.name
    assert os.path.exists(spool)
    report.close()
    assert not os.path.exists(spool), "closing deletes the spool"
    with pytest.raises(ValueError):
        list(report.rows())

    small = Report(keep=3)
    small.add(_item(2))
    assert small.complete and small._spool is None, "a small report never touches the disk"
    out = io.StringIO()
    small.write_json(out)
    assert json.loads(out.getvalue())["rows"] == [_item(2)]


def test_a_disk_map_remembers_first_values_and_replaces_on_put():
    seen = DiskMap()
    assert seen.first("id:A", 2) is None and seen.first("id:B", 3) is None
    assert seen.first("id:A", 7) == 2 and seen.first("id:A", 9) == 2, "the first row stays the first"
    assert "id:B" in seen and "id:C" not in seen and seen.get("id:C", 0) == 0
    seen.fill([("welder", 5), ("welder", 6), ("id:A", 1)])
    assert seen.get("welder") == 5 and seen.get("id:A") == 2, "fill keeps the first value of a key"
    seen.put("id:A", "file.json #2")
    assert seen.get("id:A") == "file.json #2"
    seen.close()


def _records(tag: str, rows: int) -> list[ImportRecord]:
    out = [ImportRecord(row=n + 1, cells=[("external_id", "Program ID", f"{tag}-{n}"),
                                          ("name", "Program Name", f"Course {n} {tag}"),
                                          ("credential_type", "Credential Type", "Certificate")])
           for n in range(1, rows + 1)]
    # The last row repeats row 2's id: reported as the same record, batches after the first.
    out[-1] = ImportRecord(row=rows + 1, cells=[("external_id", "Program ID", f"{tag}-1"),
                                               ("name", "Program Name", f"Another {tag}")])
    return out


def test_a_large_import_keeps_a_few_rows_in_memory_and_reports_every_row(db_session, monkeypatch):
    monkeypatch.setattr(report_module, "KEEP_ROWS", 25)
    org_id = accounts.create_org(db_session, f"Report Board {uuid.uuid4().hex[:6]}", ["issuer"]).id
    db_session.commit()
    tag = uuid.uuid4().hex[:6]
    first = run_import(db_session, org_id, _records(tag, 90), ImportOptions(batch_size=20))
    assert isinstance(first, Report) and len(first.kept) == 25 and not first.complete and first.count == 90
    assert first.summary == {"created": 89, "updated": 0, "unchanged": 0, "failed": 1}
    rows = list(first.rows())
    assert [r["row"] for r in rows] == list(range(2, 92))
    assert "the same record as row 2" in rows[-1]["problems"][0]["reason"], "keys are remembered across batches"
    out = io.StringIO()
    first.write_json(out)
    written = json.loads(out.getvalue())
    assert written["summary"] == first.summary and len(written["rows"]) == 90 and written["mapping"] == {}
    first.close()
    # Re-imported: each batch finds its credentials by key in the database (nothing preloaded).
    again = run_import(db_session, org_id, _records(tag, 90), ImportOptions(batch_size=20))
    assert again.summary == {"created": 0, "updated": 0, "unchanged": 89, "failed": 1}
    assert {r["id"] for r in again.rows() if r["id"]} == {r["id"] for r in rows if r["id"]}
    again.close()


def test_an_import_job_stores_a_few_rows_and_every_row_compressed(app, settings, database, monkeypatch):
    monkeypatch.setattr(report_module, "KEEP_ROWS", 4)
    monkeypatch.setattr(jobs, "STORED_ROWS", 3)
    with session_scope(database) as s:
        org_id = accounts.create_org(s, f"Job Board {uuid.uuid4().hex[:6]}", ["issuer"]).id
    tag = uuid.uuid4().hex[:6]
    lines = ["Program Name,Program ID"] + [f"Course {n} {tag},{tag}-{n}" for n in range(1, 11)] + [f"Again,{tag}-1"]
    with session_scope(database) as s:
        job = jobs.create_table_job(s, org_id, None, "programs.csv", ("\r\n".join(lines) + "\r\n").encode())
        jobs.start(job, True, {})  # queued without a message: only this test runs it
        job_id = job.id
    assert jobs.run_job(settings, job_id) == {"created": 10, "updated": 0, "unchanged": 0, "failed": 1}
    with session_scope(database) as s:
        job = s.get(ImportJob, job_id)
        stored, compressed = job.report, job.report_rows
    assert [r["row"] for r in stored["rows"]] == [2, 3, 4] and stored["rows_total"] == 11
    assert stored["summary"]["failed"] == 1 and stored["mapping"] == {"Program Name": "name", "Program ID": "external_id"}
    every = [json.loads(line) for line in gzip.decompress(compressed).splitlines()]
    assert [r["row"] for r in every] == list(range(2, 13))

    admin = app.test_client()
    log_in(admin, make_person(database, org_id, "admin"))
    page = text(admin.get(f"/editor/imports/{job_id}"))
    assert "the same record as row 2" in page, "the page finds a problem row beyond the stored ones"
    downloaded = json.loads(admin.get(f"/editor/imports/{job_id}/report.json").get_data(as_text=True))
    assert [r["row"] for r in downloaded["rows"]] == list(range(2, 13)) and downloaded["summary"] == stored["summary"]
    assert "rows_total" not in downloaded and downloaded["kind"] == "table"
    table = list(csv.DictReader(io.StringIO(admin.get(f"/editor/imports/{job_id}/report.csv").get_data(as_text=True))))
    assert [int(r["row"]) for r in table] == list(range(2, 13)) and "row 2" in table[-1]["reason"]


def test_a_ctdl_import_remembers_each_ctid_on_disk_and_warns_of_a_second_copy(db_session):
    record = json.loads((Path(__file__).parent / "data" / "ctdl" / "kansas_associate_degree.json").read_text())
    ctid = f"ce-{uuid.uuid4()}"
    record["@graph"][0].update({"ceterms:ctid": ctid, "@id": "https://example.org/resources/" + ctid})
    org_id = accounts.create_org(db_session, f"CTDL Board {uuid.uuid4().hex[:6]}", ["issuer"]).id
    db_session.commit()
    incoming = read_text(json.dumps(record) + "\n" + json.dumps(record) + "\n", "twice.jsonl", lines=True)
    report = run_ctdl_import(db_session, db_session.get(Organization, org_id), incoming, dry_run=True)
    first, second = report["records"]
    assert first["status"] == "created" and report.rows_key == "records"
    assert any(f"came earlier in this import ({first['source']})" in p["reason"] for p in second["problems"])
