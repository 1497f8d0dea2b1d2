"""The bulk path of the import pipeline (catalog.authoring.bulk) against the record-by-record path:
the same rows (revisions, history, outbox, index versions), a bad record failing alone in its
batch, a database error mid-batch redone record by record, dry runs and idempotent re-imports."""
from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text

from catalog.authoring.snapshot import section_snapshot
from catalog.ctdl.imports import run_import as run_ctdl_import
from catalog.ctdl.sources import read_text
from catalog.imports.pipeline import ImportOptions, run_import
from catalog.imports.records import ImportRecord
from store.models import Credential, CtdlOriginal, Organization, OutboxEvent, RevisionEntry

pytestmark = pytest.mark.db

SECTIONS = ("details", "occupations", "sectors", "related", "skills", "programs", "status")


def _org(session, prefix="Bulk Agency") -> int:
    org = Organization(name=f"{prefix} {uuid.uuid4().hex[:8]}", kinds=["issuer"])
    session.add(org)
    session.commit()
    return org.id


def _records(tag: str, cost: str = "4500", rows: int = 12) -> list[ImportRecord]:
    """Rows with every kind of section an import writes; every third cannot be published (no
    description), row 5 is too long a name (fails), row 7 has no name (fails before the batch)."""
    out = []
    for i in range(1, rows + 1):
        name = "N" * 400 if i == 5 else "" if i == 7 else f"Course {i} {tag}"
        cells = [("external_id", "Program ID", f"{tag}-{i}"), ("name", "Program Name", name),
                 ("credential_type", "Credential Type", "Certificate"), ("cip", "CIP", "480508"),
                 ("occupations", "ONET", "51412100"), ("cost", "Total Cost", cost if i == 2 else "1200"),
                 ("duration_hours", "Clock Hours", "480"), ("delivery_mode", "Delivery", "Online"),
                 ("provider", "Provider", f"Provider {tag} {i % 3}"),
                 ("leads_to", "Leads To", f"License {tag} {i % 2}")]
        if i % 3:
            cells.append(("description", "Description", f"Prepares for the licence ({i})."))
        out.append(ImportRecord(row=i + 1, cells=cells))
    return out


def _drop_ids(value):
    if isinstance(value, dict):
        return {k: _drop_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [_drop_ids(v) for v in value]
    return value


def _written(session, org_id: int, tag: str) -> dict:
    """Everything the import wrote for each credential, keyed by its row's external id, with
    our own ids (which differ between two imports) left out."""
    session.expire_all()
    out = {}
    for credential in session.scalars(select(Credential).where(Credential.org_id == org_id)):
        entries = [(e.revision, e.section, _drop_ids(e.changes), e.user_id) for e in session.scalars(
            select(RevisionEntry).where(RevisionEntry.credential_id == credential.id).order_by(RevisionEntry.revision))]
        # Which events were written, not how far the relay got with them: the session's worker
        # (started by earlier tests in a full run) may have relayed some before they are read.
        events = [(o.revision,) for o in session.scalars(
            select(OutboxEvent).where(OutboxEvent.entity == "credential", OutboxEvent.entity_id == credential.id)
            .order_by(OutboxEvent.revision, OutboxEvent.id))]
        sections = {s: _drop_ids(section_snapshot(credential, s)) for s in SECTIONS}
        key = credential.external_id.replace(tag, "T")
        sections["details"]["name"] = sections["details"]["name"].replace(tag, "T")
        out[key] = {"row": (credential.revision, credential.status, credential.index_version,
                            credential.import_key.replace(tag, "T"), credential.last_published_name is not None),
                    "entries": entries, "events": events, "sections": sections}
    return out


def _normalised(written: dict, tag: str) -> dict:
    text = repr(sorted(written.items()))
    return text.replace(tag, "T")


def test_bulk_writes_the_same_rows_as_saving_one_record_at_a_time(db_session):
    tag_bulk, tag_each = "B" + uuid.uuid4().hex[:6], "E" + uuid.uuid4().hex[:6]
    reports = {}
    for tag, bulk in ((tag_bulk, True), (tag_each, False)):
        org_id = _org(db_session)
        options = ImportOptions(publish=True, bulk=bulk, batch_size=5)
        first = run_import(db_session, org_id, _records(tag), options)
        again = run_import(db_session, org_id, _records(tag), options)
        changed = run_import(db_session, org_id, _records(tag, cost="4800"), options)
        reports[bulk] = (first, again, changed, _written(db_session, org_id, tag))
    for bulk in (True, False):
        first, again, changed, _ = reports[bulk]
        assert first["summary"] == {"created": 10, "updated": 0, "unchanged": 0, "failed": 2}
        assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 10, "failed": 2}, "idempotent"
        assert changed["summary"] == {"created": 0, "updated": 1, "unchanged": 9, "failed": 2}
    bulk_rows, each_rows = reports[True][3], reports[False][3]
    assert len(bulk_rows) == 10
    published = [k for k, w in bulk_rows.items() if w["row"][1] == "published"]
    assert published and len(published) < 10, "some published (with outbox events), some left as drafts"
    assert all(bulk_rows[k]["events"] for k in published)
    # the changed row: one more revision, with its history entry and outbox event
    changed_row = bulk_rows["T-2"]
    assert [e[1] for e in changed_row["entries"][-2:]] == ["details", "programs"]
    assert changed_row["events"][-1][0] == changed_row["row"][0], "its last revision went to the outbox"
    assert _normalised(bulk_rows, tag_bulk) == _normalised(each_rows, tag_each)
    for first, each_first in zip(reports[True][0]["rows"], reports[False][0]["rows"]):
        assert (first["row"], first["status"], [p["reason"] for p in first["problems"]]) == \
            (each_first["row"], each_first["status"], [p["reason"] for p in each_first["problems"]])


@contextmanager
def _database_refuses(session, name: str):
    """A trigger that makes the database refuse to insert a credential called `name`: a database
    error in the middle of a batch's write that validation cannot foresee (like another writer
    taking a row's key between the batch's lookup and its insert)."""
    tag = uuid.uuid4().hex[:6]
    quoted = name.replace("'", "''")
    if session.get_bind().dialect.name == "postgresql":
        create = [f"""CREATE FUNCTION refuse_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$
                      BEGIN RAISE EXCEPTION 'refused by the test'; END $$""",
                  f"""CREATE TRIGGER refuse_{tag} BEFORE INSERT ON credentials FOR EACH ROW
                      WHEN (NEW.name = '{quoted}') EXECUTE FUNCTION refuse_{tag}()"""]
        drop = [f"DROP TRIGGER refuse_{tag} ON credentials", f"DROP FUNCTION refuse_{tag}()"]
    else:
        create = [f"""CREATE TRIGGER refuse_{tag} BEFORE INSERT ON credentials WHEN NEW.name = '{quoted}'
                      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"""]
        drop = [f"DROP TRIGGER refuse_{tag}"]
    for statement in create:
        session.execute(text(statement))
    session.commit()
    try:
        yield
    finally:
        session.rollback()
        for statement in drop:
            session.execute(text(statement))
        session.commit()


def test_a_bad_record_fails_alone_and_a_database_error_mid_batch_is_redone_record_by_record(db_session, caplog):
    org_id = _org(db_session)
    tag = uuid.uuid4().hex[:6]
    before = db_session.scalar(select(func.count()).select_from(RevisionEntry))
    with _database_refuses(db_session, f"Course 6 {tag}"), caplog.at_level("INFO", logger="catalog.imports.pipeline"):
        report = run_import(db_session, org_id, _records(tag, rows=6), ImportOptions(batch_size=10))
    assert "record by record" in caplog.text
    status = {r["row"]: r for r in report["rows"]}
    assert report["summary"] == {"created": 4, "updated": 0, "unchanged": 0, "failed": 2}, report["summary"]
    assert "at most 300" in status[6]["problems"][0]["reason"], "the invalid record fails with its reason"
    assert status[7]["problems"][-1]["reason"].startswith("could not be saved"), status[7]
    saved = {r["id"] for r in report["rows"] if r["status"] == "created"}
    db_session.expire_all()
    names = set(db_session.scalars(select(Credential.name).where(Credential.org_id == org_id)))
    assert names == {f"Course {i} {tag}" for i in (1, 2, 3, 4)}
    # each created credential has its history; the failed ones none
    entries = db_session.scalar(select(func.count()).select_from(RevisionEntry))
    per_credential = db_session.scalar(select(func.count()).select_from(RevisionEntry)
                                       .where(RevisionEntry.credential_id.in_(saved)))
    assert entries - before == per_credential and per_credential >= 4 * 4


def _counts(session) -> tuple:
    return tuple(session.scalar(select(func.count()).select_from(table))
                 for table in (Credential, RevisionEntry, OutboxEvent, Organization, CtdlOriginal))


def test_dry_runs_write_nothing_and_report_like_a_real_run(db_session):
    org_id = _org(db_session)
    tag = uuid.uuid4().hex[:6]
    before = _counts(db_session)
    options = ImportOptions(dry_run=True, publish=True, create_providers=True, batch_size=4)
    dry = run_import(db_session, org_id, _records(tag), options)
    assert _counts(db_session) == before, "a dry run changes nothing, providers included"
    real = run_import(db_session, org_id, _records(tag),
                      ImportOptions(publish=True, create_providers=True, batch_size=4))
    assert dry["summary"] == real["summary"] == {"created": 10, "updated": 0, "unchanged": 0, "failed": 2}
    assert [(r["row"], r["status"]) for r in dry["rows"]] == [(r["row"], r["status"]) for r in real["rows"]]
    assert db_session.scalar(select(func.count()).select_from(Organization)
                             .where(Organization.name.like(f"Provider {tag}%"))) == 3

    ctid = f"ce-{uuid.uuid4()}"
    record = {"@context": "https://credreg.net/ctdl/schema/context/json", "@type": "ceterms:Certificate",
              "ceterms:ctid": ctid, "ceterms:name": {"en-US": f"CTDL dry run {tag}"},
              "ceterms:description": {"en-US": "A record for a dry run."}}
    before = _counts(db_session)
    import json

    report = run_ctdl_import(db_session, db_session.get(Organization, org_id),
                             read_text(json.dumps(record), "one.json"), dry_run=True, publish=True)
    assert report["summary"]["created"] == 1 and _counts(db_session) == before


def test_ctdl_bulk_writes_the_same_rows_as_one_record_at_a_time(db_session):
    """The real CTDL samples through the shared pipeline, both ways, each with fresh CTIDs."""
    import copy
    from pathlib import Path

    from catalog.ctdl.sources import read_paths

    written = {}
    for bulk in (True, False):
        incoming = list(read_paths([Path(__file__).parent / "data" / "ctdl"]))
        ctids = {}
        for item in incoming:
            if item.record and "ceterms:ctid" in item.record:
                item.record = copy.deepcopy(item.record)
                ctids[item.where] = item.record["ceterms:ctid"] = f"ce-{uuid.uuid4()}"
        org_id = _org(db_session, "CTDL Bulk")
        org = db_session.get(Organization, org_id)
        report = run_ctdl_import(db_session, org, incoming, publish=True, bulk_writes=bulk, batch_size=3)
        again = run_ctdl_import(db_session, db_session.get(Organization, org_id), incoming, bulk_writes=bulk)
        assert again["summary"]["unchanged"] == report["summary"]["created"], "re-import changes nothing"
        rows = _written_by_id(db_session, {r["id"]: r["source"] for r in report["records"] if r["id"]})
        written[bulk] = (report["summary"], [(r["source"], r["status"], r["problems"]) for r in report["records"]],
                         _without(repr(rows), ctids.values()))
    assert written[True][0]["created"] >= 5
    assert written[True] == written[False]


def _without(text: str, ctids) -> str:
    for ctid in ctids:
        text = text.replace(ctid, "CTID")
    return text


def _written_by_id(session, sources: dict) -> list:
    session.expire_all()
    out = []
    for cid, source in sorted(sources.items(), key=lambda item: item[1]):
        credential = session.get(Credential, cid)
        entries = [(e.revision, e.section, _drop_ids(e.changes)) for e in session.scalars(
            select(RevisionEntry).where(RevisionEntry.credential_id == cid).order_by(RevisionEntry.revision))]
        events = [o.revision for o in session.scalars(
            select(OutboxEvent).where(OutboxEvent.entity == "credential", OutboxEvent.entity_id == cid)
            .order_by(OutboxEvent.revision, OutboxEvent.id))]
        original = session.get(CtdlOriginal, cid)
        out.append((source, credential.ctid, credential.revision, credential.status, credential.index_version,
                    entries, events, {s: _drop_ids(section_snapshot(credential, s)) for s in SECTIONS},
                    original.document if original else None))
    return out
