"""The shared import pipeline on a real database: created/updated/unchanged/failed, savepoints,
dry run, the stable key, providers, "leads to" relations and normalised codes."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from catalog.imports.pipeline import ImportOptions, run_import
from catalog.imports.records import ImportRecord
from indexer.documents import Lookups, build_credential_document
from catalog.imports.spreadsheet import import_table
from store.models import Credential, Organization, OutboxEvent, RevisionEntry

HEADER = ("Program ID,Program Name,Provider Name,CIP Code,ONET Code,Credential Type,Total Cost,"
          "Clock Hours,Delivery Method,Leads To,Program URL\r\n")


def _org(db_session, kinds=("issuer",)) -> Organization:
    org = Organization(name=f"State Agency {uuid.uuid4().hex[:6]}", kinds=list(kinds))
    db_session.add(org)
    db_session.commit()
    return org


def _write(tmp_path, body: str, name="etpl.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return str(path)


ROWS = (
    "P1,Welding Technology,Acme Technical College,480508,51412100,Certificate,\"$4,500.00\",480,Classroom,"
    "AWS Certified Welder,www.acme.example/welding\r\n"
    "P2,Computer Support Specialist,Acme Technical College,11.1006,15115100,Certification,1200,N/A,Online,"
    "CompTIA A+,https://acme.example/a-plus\r\n"
    "P3,Vocational Nursing,Acme Technical College,513901,29206100,Licensure,9000,1500,Hybrid,"
    "Licensed Vocational Nurse,\r\n"
)


def _count(db_session, org) -> int:
    return db_session.scalar(select(func.count()).select_from(Credential).where(Credential.org_id == org.id))


def test_import_is_idempotent_reports_per_row_and_normalises(db_session, tmp_path):
    org = _org(db_session)
    path = _write(tmp_path, ROWS)

    dry = import_table(db_session, org.id, path, ImportOptions(dry_run=True, create_providers=True))
    assert dry["summary"] == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert _count(db_session, org) == 0, "a dry run changes nothing"
    assert db_session.scalar(select(Organization).where(Organization.name == "Acme Technical College")) is None

    report = import_table(db_session, org.id, path, ImportOptions(create_providers=True))
    assert report["summary"] == {"created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert report["mapping"]["Program Name"] == "name" and report["mapping"]["Leads To"] == "leads_to"
    assert [r["row"] for r in report["rows"]] == [2, 3, 4]
    welding = db_session.get(Credential, report["rows"][0]["id"])
    assert welding.cip_codes == ["48.0508"]
    assert [o.code for o in welding.occupations] == ["51-4121.00"]
    assert (str(welding.cost_amount), welding.duration_value, welding.duration_unit) == ("4500.00", 480, "hours")
    assert welding.credential_type == "certificate" and welding.delivery_mode == "in_person"
    assert welding.url == "https://www.acme.example/welding"
    assert welding.programs[0].provider.name == "Acme Technical College"
    assert welding.relations[0].external_name == "AWS Certified Welder"
    # What a programme leads to is searchable: the public document carries the external name.
    document = build_credential_document(welding, Lookups())
    assert document["related_names"] == ["AWS Certified Welder"]
    support = db_session.get(Credential, report["rows"][1]["id"])
    assert [o.code for o in support.occupations] == ["15-1232.00"]  # O*NET-SOC 2010 -> 2019
    assert support.duration_value is None and str(support.cost_amount) == "1200.00"
    nursing = db_session.get(Credential, report["rows"][2]["id"])
    assert nursing.credential_type == "license" and nursing.delivery_mode == "blended"
    assert nursing.relations[0].external_type == "license"

    again = import_table(db_session, org.id, path, ImportOptions(create_providers=True))
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 3, "failed": 0}

    changed = _write(tmp_path, ROWS.replace("\"$4,500.00\"", "4800"), "changed.csv")
    third = import_table(db_session, org.id, changed, ImportOptions(create_providers=True))
    assert third["summary"] == {"created": 0, "updated": 1, "unchanged": 2, "failed": 0}
    db_session.expire_all()
    assert str(db_session.get(Credential, welding.id).cost_amount) == "4800.00"
    assert _count(db_session, org) == 3


def test_a_failed_row_changes_nothing_and_the_others_go_on(db_session, tmp_path):
    org = _org(db_session)
    long_name = "N" * 400
    path = _write(tmp_path, ROWS.replace("Acme Technical College", "Bayside College") + f"P4,{long_name},New Provider,480508,,,,,,,\r\n,,,,,,,,,,\r\nP5,,x,,,,,,,,\r\n"
                  "P1,Duplicate of row two,Bayside College,,,,,,,,\r\n")
    before_orgs = db_session.scalar(select(func.count()).select_from(Organization))
    report = import_table(db_session, org.id, path, ImportOptions(create_providers=True, publish=True))
    assert report["summary"]["failed"] == 3 and report["summary"]["created"] == 3
    failed = {r["row"]: r for r in report["rows"] if r["status"] == "failed"}
    assert failed[5]["problems"][0]["column"] == "Program Name"
    assert "at most 300" in failed[5]["problems"][0]["reason"]
    assert failed[7]["problems"][0]["reason"] == "a name is required"
    assert "row 2" in failed[8]["problems"][0]["reason"]
    # the failed row's provider was rolled back with it; the others' stays
    assert db_session.scalar(select(Organization).where(Organization.name == "New Provider")) is None
    assert db_session.scalar(select(func.count()).select_from(Organization)) == before_orgs + 1
    published = db_session.scalars(select(Credential).where(Credential.org_id == org.id)).all()
    # publishing needs a description, which this file has not: drafts, with a problem saying so
    assert {c.status for c in published} == {"draft"}
    assert any("left as a draft" in p["reason"] for r in report["rows"] for p in r["problems"])


def test_records_from_any_source_and_publishing_queue_the_index(db_session):
    org = _org(db_session)
    org_id = org.id
    records = [ImportRecord(row=1, cells=[("external_id", "ctid", "ce-1"), ("name", "name", "Pharmacy Technician"),
                                          ("description", "description", "Prepares for PTCB."),
                                          ("credential_type", "type", "ceterms:Certificate"),
                                          ("cip", "cip", ["51.0805"]), ("occupations", "soc", ["29-2052"])])]
    report = run_import(db_session, org.id, records, ImportOptions(publish=True), kind="ctdl")
    assert report["summary"]["created"] == 1 and report["kind"] == "ctdl"
    credential = db_session.get(Credential, report["rows"][0]["id"])
    assert credential.status == "published" and credential.external_id == "ce-1"
    assert [o.code for o in credential.occupations] == ["29-2052.00"]
    assert db_session.scalar(select(func.count()).select_from(OutboxEvent).where(
        OutboxEvent.entity == "credential", OutboxEvent.entity_id == credential.id)) >= 1
    assert db_session.scalar(select(func.count()).select_from(RevisionEntry).where(
        RevisionEntry.credential_id == credential.id)) >= 2

    nursing = [ImportRecord(row=7, cells=[("name", "name", "Registered Nursing (ADN)"), ("cip", "cip", "513801")])]
    suggested = run_import(db_session, org_id, nursing, ImportOptions(dry_run=True, with_suggested_occupations=True))
    assert "29-1141.00" in suggested["rows"][0]["suggested_occupations"], "the report marks suggested occupations"
    plain = run_import(db_session, org_id, nursing, ImportOptions(dry_run=True))
    assert "suggested_occupations" not in plain["rows"][0]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_encodings(db_session, tmp_path, encoding):
    org = _org(db_session)
    path = _write(tmp_path, "E1,Café Management,Écoles,,,,,,,,\r\n", encoding=encoding)
    report = import_table(db_session, org.id, path, ImportOptions(dry_run=True))
    assert report["rows"][0]["name"] == "Café Management"


def test_a_dry_run_rolls_back_batch_by_batch_and_still_reports_like_a_real_run(db_session):
    org = _org(db_session)
    org_id = org.id  # run_import expunges the session between batches
    provider = f"Batch College {uuid.uuid4().hex[:6]}"
    records = [ImportRecord(row=i, cells=[("external_id", "id", f"B{i % 4}"), ("name", "name", f"Course {i}"),
                                          ("provider", "provider", provider)]) for i in range(1, 6)]
    report = run_import(db_session, org_id, records, ImportOptions(dry_run=True, batch_size=2, create_providers=True))
    assert report["summary"] == {"created": 4, "updated": 0, "unchanged": 0, "failed": 1}
    assert "row 1" in report["rows"][4]["problems"][0]["reason"], "a key seen before a rolled-back batch still counts"
    assert db_session.scalar(select(func.count()).select_from(Credential).where(Credential.org_id == org_id)) == 0
    assert db_session.scalar(select(Organization).where(Organization.name == provider)) is None


def test_leads_to_a_credential_imported_later_in_the_file_stays_idempotent(db_session):
    org = _org(db_session)
    org_id = org.id
    records = [ImportRecord(row=2, cells=[("name", "name", "Pharmacy Tech Prep"), ("leads_to", "leads", "Pharmacy Technician")]),
               ImportRecord(row=3, cells=[("name", "name", "Pharmacy Technician")])]
    first = run_import(db_session, org_id, records, ImportOptions())
    assert first["summary"]["created"] == 2
    again = run_import(db_session, org_id, records, ImportOptions())
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 2, "failed": 0}
