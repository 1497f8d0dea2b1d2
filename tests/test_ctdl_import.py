"""CTDL import: real records from Credential Engine, idempotence, losslessness, dry runs, the
report and bad input, through the real authoring service and database."""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from store.db import session_scope
from store.models import Credential, CtdlOriginal, Organization
from catalog.accounts import service as accounts
from catalog.ctdl.imports import import_upload, run_import
from catalog.ctdl.records import published_credential_record
from catalog.ctdl.sources import read_paths, read_text
from catalog.ctdl.validate import is_valid, validate_document
from cli import main
from tests.support.cli import operator_env, run_catalog

SAMPLES = Path(__file__).parent / "data" / "ctdl"
BASE = "https://credentialengineregistry.org/resources/"


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8-sig"))


def make_org(database) -> int:
    with session_scope(database) as s:
        return accounts.create_org(s, f"Importer {uuid.uuid4().hex[:8]}", ["issuer"]).id


def do_import(database, org_id, incoming, **options) -> dict:
    with session_scope(database) as s:
        report = run_import(s, s.get(Organization, org_id), incoming, **options)
        if options.get("dry_run"):
            s.rollback()
        return report


def export(database, credential_id) -> dict:
    with session_scope(database) as s:
        return published_credential_record(s, BASE, credential_id, public_only=False)


def count(database, org_id) -> int:
    with session_scope(database) as s:
        return s.scalar(select(func.count()).select_from(Credential).where(Credential.org_id == org_id))


def with_ctid(document: dict, ctid: str) -> dict:
    document = copy.deepcopy(document)
    node = document["@graph"][0] if "@graph" in document else document
    node["ceterms:ctid"] = ctid
    node["@id"] = BASE + ctid
    return document


@pytest.fixture(scope="module")
def samples(database):
    """Every real sample imported once into one organization: {file name: credential id}."""
    org_id = make_org(database)
    report = do_import(database, org_id, read_paths([SAMPLES]))
    assert report["summary"] == {"created": 7, "updated": 0, "unchanged": 0, "failed": 0}, report
    ids = {Path(r["source"].split(" ")[0]).name: r["id"] for r in report["records"]}
    return {"org": org_id, "ids": ids, "report": report}


def test_every_real_sample_validates_and_imports_with_codes_normalised(database, samples):
    for path in sorted(SAMPLES.glob("*.json")):
        problems = validate_document(load(path.name))
        assert is_valid(problems), (path.name, problems)
    by_file = {Path(r["source"].split(" ")[0]).name: r for r in samples["report"]["records"]}
    reasons = [p["reason"] for p in by_file["certification_detailed.json"]["problems"]]
    assert "code '15-1122.00' normalised to 15-1212.00" in reasons  # O*NET-SOC 2010 -> 2019
    assert any("'Cybersecurity'" in r for r in reasons)  # a name without a code: reported, never assigned
    with session_scope(database) as s:
        detailed = s.get(Credential, samples["ids"]["certification_detailed.json"])
        assert detailed.credential_type == "certification" and detailed.status == "draft"
        assert detailed.name == "My Certification Name"
        assert [o.code for o in detailed.occupations][:2] == ["15-1212.00", "15-1231.00"]
        assert {"928110", "926120"} <= {s_.code for s_ in detailed.sectors}
        assert detailed.cip_codes[:2] == ["30.1301", "30.2202"]
        assert (detailed.cost_amount, detailed.cost_currency) == (100, "USD")
        kansas = s.get(Credential, samples["ids"]["kansas_associate_degree.json"])
        assert (kansas.credential_type, kansas.duration_value, kansas.duration_unit) == ("associate_degree", 2, "years")
        assert kansas.ctid == "ce-bd860014-039c-9c32-f816-e4f429b17f40"
        bilingual = s.get(Credential, samples["ids"]["bachelor_multiple_languages.json"])  # ar-SA first, then en
        assert (bilingual.name, bilingual.language) == ("Bachelor of Science in Accounting", "en")
        indiana = s.get(Credential, samples["ids"]["indiana_bsn.json"])  # a file with a byte order mark
        assert indiana.delivery_mode == "blended" and indiana.cost_currency == "USD"  # "US Dollar"
        assert s.get(CtdlOriginal, indiana.id).document["record"]["ceterms:ctid"] == indiana.ctid


def test_importing_again_changes_nothing_and_matches_ctids_in_either_case(database, samples):
    before = count(database, samples["org"])
    again = do_import(database, samples["org"], read_paths([SAMPLES]))
    assert again["summary"] == {"created": 0, "updated": 0, "unchanged": 7, "failed": 0}
    assert {r["id"] for r in again["records"]} == set(samples["ids"].values())
    upper = load("propath_license.json")
    node = upper["@graph"][0]
    node["ceterms:ctid"] = node["ceterms:ctid"].upper()
    (entry,) = do_import(database, samples["org"], read_text(json.dumps(upper), "upper.json"))["records"]
    assert entry["id"] == samples["ids"]["propath_license.json"] and entry["status"] == "updated"
    assert count(database, samples["org"]) == before
    # Another organization cannot take the record over by importing its CTID.
    (stolen,) = do_import(database, make_org(database), read_paths([SAMPLES / "propath_license.json"]))["records"]
    assert stolen["status"] == "failed" and "another organization" in stolen["problems"][-1]["reason"]


def test_round_trip_of_real_records_is_stable_and_drops_nothing(database, samples):
    published = do_import(database, samples["org"], read_paths([SAMPLES]), publish=True)
    assert published["summary"]["failed"] == 0 and published["summary"]["updated"] == 7
    for name, credential_id in samples["ids"].items():
        source = load(name)
        node = source["@graph"][0]
        first = export(database, credential_id)
        exported = first["@graph"][0]
        assert is_valid(validate_document(first)), (name, validate_document(first))
        # Nothing the source said is dropped: every property is there (owner and address are ours) ...
        assert set(node) - {"ceterms:ownedBy", "ceterms:offeredBy"} <= set(exported), name
        for prop, value in node.items():
            if prop in ("@id", "ceterms:ownedBy", "ceterms:offeredBy", "ceterms:ctid"):
                continue
            if isinstance(value, list) and prop not in ("ceterms:occupationType", "ceterms:industryType",
                                                        "ceterms:instructionalProgramType", "ceterms:inLanguage"):
                assert all(item in exported[prop] for item in value), (name, prop)
        # ... and so is every other node of its graph.
        ids = {n.get("@id") for n in first["@graph"]}
        assert {n.get("@id") for n in source["@graph"][1:]} <= ids, name
        # import -> export -> import -> export is stable.
        report = do_import(database, samples["org"], read_text(json.dumps(first), "first.json"))
        assert report["summary"]["failed"] == 0, report
        second = export(database, credential_id)
        assert second == first, name
        report = do_import(database, samples["org"], read_text(json.dumps(second), "second.json"))
        assert report["summary"]["unchanged"] == 1, report


def test_a_dry_run_reports_and_saves_nothing(database, samples):
    org_id = make_org(database)
    fresh = with_ctid(load("kansas_associate_degree.json"), f"ce-{uuid.uuid4()}")
    with session_scope(database) as s:  # as an upload (the import jobs' entry point)
        ticks = []
        report = import_upload(s, s.get(Organization, org_id), "fresh.json", json.dumps(fresh).encode(), dry_run=True,
                               progress=ticks.append)
    assert report["dry_run"] and report["summary"]["created"] == 1 and ticks == [1]
    assert count(database, org_id) == 0
    # --publish on a record that cannot be published fails it whole: no draft is left behind.
    del fresh["@graph"][0]["ceterms:description"]
    (entry,) = do_import(database, org_id, read_text(json.dumps(fresh), "fresh.json"), publish=True)["records"]
    assert entry["status"] == "failed" and entry["problems"][-1]["path"] == "$.@graph[0]"
    assert "to publish, add a description" in entry["problems"][-1]["reason"]
    assert count(database, org_id) == 0
    with session_scope(database) as s:
        assert s.scalar(select(func.count()).select_from(CtdlOriginal).join(Credential)
                        .where(Credential.org_id == org_id)) == 0


def test_bad_input_fails_its_own_record_only_with_paths_and_reasons(settings, database, tmp_path):
    org_id = make_org(database)
    good = with_ctid(load("kansas_associate_degree.json"), f"ce-{uuid.uuid4()}")
    no_ctid = copy.deepcopy(good["@graph"][0])
    del no_ctid["ceterms:ctid"]
    wrong_types = with_ctid(good, f"ce-{uuid.uuid4()}")["@graph"][0]
    wrong_types["ceterms:name"] = 42
    wrong_alignment = with_ctid(good, f"ce-{uuid.uuid4()}")["@graph"][0]
    wrong_alignment["ceterms:occupationType"] = "nurses"
    bad_ctid = with_ctid(good, "ce-not-a-uuid")
    (tmp_path / "batch.json").write_text(json.dumps([good, no_ctid, wrong_types, wrong_alignment, bad_ctid, 7]))
    (tmp_path / "broken.json").write_text('{"@context": "https://credreg.net/ctdl/schema/context/json", "@graph": [')
    (tmp_path / "huge.json").write_text(json.dumps({"pad": "x" * (10 * 1024 * 1024)}))
    (tmp_path / "lines.jsonl").write_text(json.dumps(with_ctid(good, f"ce-{uuid.uuid4()}")) + "\nnot json\n")

    env = operator_env(settings)
    org_name = str(org_id)
    result = run_catalog(env, "import", "ctdl", str(tmp_path), "--org", org_name, "--report", str(tmp_path / "r.out"))
    assert result.returncode == 1, result.stderr
    report = json.loads((tmp_path / "r.out").read_text())
    assert report["summary"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 8}, report
    failed = {(Path(r["source"].split(" ")[0].split(":")[0].split("[")[0]).name, r["problems"][0]["path"]):
              r["problems"][0]["reason"] for r in report["records"] if r["status"] == "failed"}
    assert "missing" in failed[("batch.json", "$[1].ceterms:ctid")]
    assert "language map" in failed[("batch.json", "$[2].ceterms:name")]
    assert "list of alignment objects" in failed[("batch.json", "$[3].ceterms:occupationType")]
    assert "not a CTID" in failed[("batch.json", "$[4].@graph[0].ceterms:ctid")]
    assert "expected a JSON object" in failed[("batch.json", "$[5]")]
    assert failed[("broken.json", "$")].startswith("not JSON")
    assert "10 MB" in failed[("huge.json", "$")]
    assert failed[("lines.jsonl", "$")].startswith("not JSON")
    assert "2 created" in result.stdout and "failed: $[1].ceterms:ctid" not in result.stdout
    assert count(database, org_id) == 2

    # `catalog ctdl validate` says the same of files, with JSON paths, and exits non-zero. It needs
    # no service, so it runs in this process.
    (tmp_path / "valid.json").write_text(json.dumps(good))
    runner = CliRunner()
    assert runner.invoke(main, ["ctdl", "validate", str(tmp_path / "valid.json")], obj=settings).exit_code == 0
    checked = runner.invoke(main, ["ctdl", "validate", str(tmp_path / "batch.json"), str(tmp_path / "broken.json")],
                            obj=settings)
    assert checked.exit_code == 1
    assert "batch.json: error: $[1].ceterms:ctid: missing" in checked.output
    assert "batch.json: error: $[2].ceterms:name: must be a language map" in checked.output
    assert "broken.json: error: $: not JSON" in checked.output


def test_programs_relations_and_skill_levels_come_back_from_another_catalogs_export(database):
    """What export writes of programs (providers by CTID, or by a name that matches one education
    provider here), related credentials and skill levels imports into another organization; a
    profile naming what this catalog cannot hold stays as written and goes out again."""
    from catalog.authoring import service
    from catalog.authoring.snapshot import section_snapshot
    from tests.support.factories import make_credential

    with session_scope(database) as s:
        source_org = accounts.create_org(s, f"Exporter {uuid.uuid4().hex[:6]}", ["issuer"]).id
        college = accounts.create_org(s, f"Lakeside College {uuid.uuid4().hex[:6]}", ["education_provider"])
        college_id, college_name = college.id, college.name
    target = make_credential(database, source_org, name="Phlebotomy Certificate")
    credential_id = make_credential(database, source_org, skills=(("2.A.1.a", "Novice", "Advanced"), ("2.A.1.b", "", "")))
    with session_scope(database) as s:
        credential = s.get(Credential, credential_id)
        service.save_section(s, None, credential, "related", [
            {"kind": "required", "credential_id": target},
            {"kind": "related", "cip": "51.3801", "type": "certificate", "name": ""}])
        service.save_section(s, None, credential, "programs", [
            {"provider_org_id": college_id, "name": "Nursing AAS", "duration": {"value": 2, "unit": "years"},
             "cost": "4000", "cip": "51.3801", "delivery_mode": "in_person", "location": "Springfield"},
            {"provider_name": "lakeside college", "name": "Evening RN bridge", "url": "https://lakeside.example/rn"},
            {"provider_org_id": source_org, "name": "In-house review course"}])
        sections = {k: section_snapshot(credential, k) for k in ("skills", "related", "programs")}
    record = with_ctid(export(database, credential_id), f"ce-{uuid.uuid4()}")
    graph = {n["@id"]: n for n in record["@graph"]}
    # The second program's provider is a _: node named like the college (in another letter case).
    provider_blank = graph[record["@graph"][0]["ceterms:preparationFrom"][0]["ceterms:targetLearningOpportunity"][1]]
    graph[provider_blank["ceterms:offeredBy"][0]]["ceterms:name"] = {"en-US": college_name}
    # A credential of another registry, by its URI only: nothing here to hold it by.
    elsewhere = f"https://elsewhere.example/resources/ce-{uuid.uuid4()}"
    record["@graph"][0]["ceterms:isPreparationFor"] = [{"@type": "ceterms:ConditionProfile",
                                                        "ceterms:targetCredential": [elsewhere]}]
    record["@graph"][0]["ceterms:recommends"].append({"@type": "ceterms:ConditionProfile",
                                                      "ceterms:description": {"en-US": "Related credentials"},
                                                      "ceterms:targetCredential": [elsewhere]})
    assert is_valid(validate_document(record)), validate_document(record)

    importer = make_org(database)
    (entry,) = do_import(database, importer, read_text(json.dumps(record), "other.json"))["records"]
    assert entry["status"] == "created", entry
    assert any(p["path"] == "$.@graph[0].ceterms:recommends[1]" and "not a published credential" in p["reason"]
               for p in entry["problems"]), entry["problems"]
    assert any(p["path"] == "$.@graph[0].ceterms:preparationFrom" and "is not an education provider" in p["reason"]
               for p in entry["problems"]), entry["problems"]
    with session_scope(database) as s:
        imported = s.get(Credential, entry["id"])
        assert section_snapshot(imported, "skills") == sections["skills"]
        assert section_snapshot(imported, "related") == sections["related"]
        programs = section_snapshot(imported, "programs")["programs"]
        source_name = s.get(Organization, source_org).name
        # By CTID, then by name; an issuer that is no education provider (here) by its name as text.
        assert [(p["name"], p["provider_org_id"], p["provider_name"]) for p in programs] == [
            ("Nursing AAS", college_id, ""), ("Evening RN bridge", college_id, ""),
            ("In-house review course", None, source_name)]
        assert (programs[0]["duration"], programs[0]["cost"], programs[0]["cip"], programs[0]["location"]) == (
            {"value": 2, "unit": "years"}, "4000.00", "51.3801", "Springfield")
    first = export(database, entry["id"])
    assert is_valid(validate_document(first)), validate_document(first)
    node = first["@graph"][0]
    assert node["ceterms:isPreparationFor"] == record["@graph"][0]["ceterms:isPreparationFor"]  # kept as written
    assert node["ceterms:recommends"][-1]["ceterms:targetCredential"] == [elsewhere]
    # import -> export -> import -> export is stable (the kept original becomes our export, then stays).
    for name in ("first.json", "second.json"):
        again = do_import(database, importer, read_text(json.dumps(first), name))
        assert again["summary"]["failed"] == 0 and again["records"][0]["id"] == entry["id"], again
        assert export(database, entry["id"]) == first
    assert again["summary"]["unchanged"] == 1, again

    # A custom level comes back onto the credential that has it; elsewhere its profile stays as written.
    with session_scope(database) as s:
        credential = s.get(Credential, credential_id)
        service.save_section(s, None, credential, "skills", {
            "custom_levels": [{"name": "Apprentice", "position": 2}],
            "items": [{"skill_id": "2.A.1.a", "min_level": "Apprentice", "acquired_level": "Expert"}]})
        skills = section_snapshot(credential, "skills")
    own = export(database, credential_id)
    (back,) = do_import(database, source_org, read_text(json.dumps(own), "own.json"))["records"]
    assert back["id"] == credential_id and back["status"] == "updated", back  # the original is kept now
    with session_scope(database) as s:
        assert section_snapshot(s.get(Credential, credential_id), "skills") == skills
    (other,) = do_import(database, importer, read_text(json.dumps(with_ctid(own, f"ce-{uuid.uuid4()}")), "x.json"))["records"]
    assert any("'Apprentice' is not an experience level here" in p["reason"] for p in other["problems"]), other
