"""CTDL export: the record, content negotiation on the credential's address, the harvest API and
`catalog export ctdl`. Drafts, archived credentials and contributor notes never leave."""
from __future__ import annotations

import json
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from store.db import session_scope
from store.models import Concept, Credential, Organization, Scheme
from catalog.accounts import service as accounts
from catalog.authoring import service
from catalog.ctdl.records import published_credential_record
from catalog.ctdl.validate import is_valid, validate_document
from cli import main
from tests.support.cli import operator_env, run_catalog
from tests.support.factories import make_credential, set_status

BASE = "https://credentialengineregistry.org/resources/"


@pytest.fixture(scope="module")
def catalog(database):
    """An issuer with a full published credential (A), a published prerequisite (B), a draft (C)
    and an archived one (D); A names C too, and carries a contributor note."""
    with session_scope(database) as s:
        issuer = accounts.create_org(s, f"Riverbend {uuid.uuid4().hex[:6]}", ["issuer"], website="https://riverbend.example")
        college = accounts.create_org(s, f"College {uuid.uuid4().hex[:6]}", ["education_provider"])
        verifier = accounts.create_org(s, f"Board {uuid.uuid4().hex[:6]}", ["verifier"])
        esco = s.scalar(select(Concept.code).join(Scheme).where(Scheme.name == "skills", Concept.code.like("esco-%")).limit(1))
        ids = (issuer.id, college.id, verifier.id)
    b = make_credential(database, ids[0], name="Nursing Assistant Certificate", credential_type="certificate")
    c = make_credential(database, ids[0], publish=False, name="Secret draft")
    d = make_credential(database, ids[0], name="Withdrawn license")
    set_status(database, d, "archived")
    a = make_credential(database, ids[0], skills=((esco, "", ""), ("2.A.1.a", "Novice", "Advanced")),
                        name="Registered Nurse License", alternate_names=["RN license"], url="https://riverbend.example/rn",
                        keywords=["nursing", "NCLEX"], cost={"amount": "1250.50", "currency": "USD", "note": "Exam and license fee"},
                        duration={"value": 6, "unit": "months"}, delivery_mode="blended")
    with session_scope(database) as s:
        credential = s.get(Credential, a)
        service.save_section(s, None, credential, "related", [
            {"kind": "required", "credential_id": b}, {"kind": "related", "credential_id": c},
            {"kind": "related", "cip": "51.3801", "type": "certificate", "name": "Nurse Aide Training"}])
        service.save_section(s, None, credential, "programs", [
            {"provider_org_id": ids[1], "name": "Nursing AAS", "url": "https://college.example/aas", "delivery_mode": "in_person",
             "duration": {"value": 2, "unit": "years"}, "cost": "4000", "location": "Springfield", "cip": "51.3801"},
            {"provider_name": "Evening School", "name": "Evening RN bridge"}])
        service.add_note(s, None, credential, "Internal: waiting on the board's letter")
        ctids = {name: s.get(Credential, cid).ctid for name, cid in zip("abcd", (a, b, c, d))}
        org_ctid = s.get(Organization, ids[0]).ctid
    return {"a": a, "b": b, "c": c, "d": d, "org": ids[0], "verifier": ids[2], "ctids": ctids, "org_ctid": org_ctid,
            "esco": esco}


def record_of(database, credential_id):
    with session_scope(database) as s:
        return published_credential_record(s, BASE, credential_id)


def test_a_published_credential_exports_as_a_valid_ctdl_record_with_everything(database, catalog):
    record = record_of(database, catalog["a"])
    assert is_valid(validate_document(record)), validate_document(record)
    node, *others = record["@graph"]
    ctid = catalog["ctids"]["a"]
    assert record["@context"] == "https://credreg.net/ctdl/schema/context/json"
    assert node["@id"] == BASE + ctid and node["ceterms:ctid"] == ctid and node["@type"] == "ceterms:License"
    assert node["ceterms:name"] == {"en-US": "Registered Nurse License"}
    assert node["ceterms:alternateName"] == {"en-US": ["RN license"]}
    assert node["ceterms:inLanguage"] == ["en-US"]
    assert node["ceterms:subjectWebpage"] == "https://riverbend.example/rn"
    assert node["ceterms:ownedBy"] == node["ceterms:offeredBy"] == [BASE + catalog["org_ctid"]]
    assert node["ceterms:credentialStatusType"]["ceterms:targetNode"] == "credentialStat:Active"
    assert node["ceterms:keyword"] == {"en-US": ["nursing", "NCLEX"]}
    occupation = node["ceterms:occupationType"][0]
    assert occupation["ceterms:codedNotation"] == "29-1141.00"
    assert occupation["ceterms:framework"] == "https://www.onetcenter.org/taxonomy.html"
    assert occupation["ceterms:targetNode"] == "https://www.onetonline.org/link/summary/29-1141.00"
    assert occupation["ceterms:targetNodeName"] == {"en-US": "Registered Nurses"}
    assert node["ceterms:industryType"][0]["ceterms:framework"] == "https://www.census.gov/naics/"
    assert node["ceterms:instructionalProgramType"][0]["ceterms:codedNotation"] == "51.3801"
    assert node["ceterms:estimatedCost"] == [{
        "@type": "ceterms:CostProfile", "ceterms:description": {"en-US": "Exam and license fee"},
        "ceterms:currency": "USD", "ceterms:price": 1250.5, "ceterms:costDetails": "https://riverbend.example/rn"}]
    assert node["ceterms:estimatedDuration"][0]["ceterms:exactDuration"] == "P6M"
    assert node["ceterms:learningDeliveryType"][0]["ceterms:targetNode"] == "deliveryType:BlendedDelivery"

    # requires: the prerequisite by its URI, and the skills as competencies (ESCO by its URI), a
    # profile for each run of skills with the same levels: the level shown is the profile's name, the
    # experience it needs its ceterms:experience.
    requires = node["ceterms:requires"]
    assert requires[0]["ceterms:targetCredential"] == [BASE + catalog["ctids"]["b"]]
    (esco,) = requires[1]["ceterms:targetCompetency"]
    assert esco["ceterms:targetNode"] == "http://data.europa.eu/esco/skill/" + catalog["esco"].removeprefix("esco-")
    assert "ceterms:name" not in requires[1] and "ceterms:experience" not in requires[1]
    (onet,) = requires[2]["ceterms:targetCompetency"]
    assert onet["ceterms:codedNotation"] == "2.A.1.a"
    assert requires[2]["ceterms:name"] == {"en-US": "Advanced"} and requires[2]["ceterms:experience"] == {"en-US": "Novice"}
    # recommends: the external credential as a blank node in @graph; the draft C is not there at all.
    (recommends,) = node["ceterms:recommends"]
    (external,) = recommends["ceterms:targetCredential"]
    assert external.startswith("_:")
    by_id = {n["@id"]: n for n in others}
    assert by_id[external]["@type"] == "ceterms:Certificate"
    assert by_id[external]["ceterms:name"] == {"en-US": "Nurse Aide Training"}
    # Programs are learning opportunities, offered by their provider.
    (preparation,) = node["ceterms:preparationFrom"]
    programs = [by_id[i] for i in preparation["ceterms:targetLearningOpportunity"]]
    assert [p["@type"] for p in programs] == ["ceterms:LearningOpportunityProfile"] * 2
    assert programs[0]["ceterms:estimatedDuration"][0]["ceterms:exactDuration"] == "P2Y"
    assert by_id[programs[1]["ceterms:offeredBy"][0]]["ceterms:name"] == {"en-US": "Evening School"}

    text = json.dumps(record)
    assert catalog["ctids"]["c"] not in text and "Secret draft" not in text
    assert "waiting on the board" not in text
    assert record_of(database, catalog["a"]) == record  # blank-node ids are stable


def test_the_credential_address_answers_json_ld_when_asked(client, catalog):
    a = catalog["a"]
    page = client.get(f"/credentials/{a}")
    assert page.status_code == 200 and page.mimetype == "text/html" and "Accept" in page.headers["Vary"]
    assert f'type="application/ld+json" title="CTDL" href="/credentials/{a}.jsonld"' in page.get_data(as_text=True)
    for response in (client.get(f"/credentials/{a}", headers={"Accept": "application/ld+json"}),
                     client.get(f"/credentials/{a}.jsonld")):
        assert response.status_code == 200 and response.mimetype == "application/ld+json"
        assert "Accept" in response.headers["Vary"]
        assert response.get_json()["@graph"][0]["ceterms:ctid"] == catalog["ctids"]["a"]
    assert client.get(f"/credentials/{catalog['c']}.jsonld").status_code == 404
    assert client.get(f"/credentials/{catalog['c']}", headers={"Accept": "application/ld+json"}).status_code == 404
    gone = client.get(f"/credentials/{catalog['d']}.jsonld")
    assert gone.status_code == 410 and "Withdrawn license" in gone.get_json()["message"]
    assert client.get("/credentials/99999999.jsonld").status_code == 404


def test_harvesters_walk_every_published_credential_once(client, catalog):
    seen, url, pages = [], "/api/v1/ctdl/credentials?size=2", 0
    while url:
        body = client.get(url).get_json()
        seen += [r["@graph"][0]["ceterms:ctid"] for r in body["records"]]
        url = body["next"] and body["next"].replace("http://localhost", "")
        pages += 1
    assert len(seen) == len(set(seen)) == body["total"] and pages == -(-body["total"] // 2)
    assert {catalog["ctids"]["a"], catalog["ctids"]["b"]} <= set(seen)
    assert not {catalog["ctids"]["c"], catalog["ctids"]["d"]} & set(seen)
    for bad in ("page=0", "page=abc", "page=", "size=0", "page=99999999"):
        response = client.get(f"/api/v1/ctdl/credentials?{bad}")
        assert response.status_code == 400, bad
    assert client.get("/api/v1/ctdl/credentials?page=100000").get_json()["records"] == []
    assert "/api/v1/ctdl/credentials" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_the_stream_reads_batch_after_batch_in_id_order(database, catalog):
    """The harvest pages and `catalog export ctdl` read through credential_records: a batch of ids
    at a time, each after the last id of the one before (a batch of 1 here)."""
    from catalog.ctdl.records import credential_records

    with session_scope(database) as s:
        ctids = [r["@graph"][0]["ceterms:ctid"] for r in credential_records(s, BASE, catalog["org"], batch=1)]
        assert ctids == [catalog["ctids"]["b"], catalog["ctids"]["a"]]  # B was created first; C and D are not public
        page = [r["@graph"][0]["ceterms:ctid"] for r in credential_records(s, BASE, catalog["org"], offset=1, limit=5,
                                                                           batch=1)]
        assert page == [catalog["ctids"]["a"]]


def test_catalog_export_ctdl_writes_json_lines_and_directories(settings, catalog, tmp_path):
    env = operator_env(settings)
    lines = run_catalog(env, "export", "ctdl", "--org", str(catalog["org"]), "--out", str(tmp_path / "all.jsonl"))
    assert lines.returncode == 0, lines.stderr
    records = [json.loads(line) for line in (tmp_path / "all.jsonl").read_text().splitlines()]
    kinds = [r["@graph"][0]["@type"] for r in records]
    assert kinds[0] == "ceterms:CredentialOrganization" and kinds.count("ceterms:CredentialOrganization") == 1
    assert {r["@graph"][0]["ceterms:ctid"] for r in records[1:]} == {catalog["ctids"]["a"], catalog["ctids"]["b"]}
    assert "2 credentials, 1 organizations" in lines.stdout
    assert all(is_valid(validate_document(r)) for r in records)

    folder = run_catalog(env, "export", "ctdl", "--org", str(catalog["verifier"]), "--out", str(tmp_path / "dir"))
    assert folder.returncode == 0, folder.stderr
    (only,) = list((tmp_path / "dir").iterdir())
    assert json.loads(only.read_text())["@graph"][0]["@type"] == "ceterms:QACredentialOrganization"
    unknown = CliRunner().invoke(main, ["export", "ctdl", "--org", "No Such Org"], obj=settings)
    assert unknown.exit_code != 0 and "no organization 'No Such Org'" in unknown.output


def test_importing_its_own_export_keeps_what_export_leaves_out(database, catalog):
    """A's link to its organization's draft C is not exported; importing A's record back keeps it."""
    from catalog.authoring.snapshot import section_snapshot
    from catalog.ctdl.imports import run_import
    from catalog.ctdl.sources import read_text

    with session_scope(database) as s:
        before = {k: section_snapshot(s.get(Credential, catalog["a"]), k) for k in ("related", "programs", "skills")}
    record = record_of(database, catalog["a"])
    with session_scope(database) as s:
        report = run_import(s, s.get(Organization, catalog["org"]), read_text(json.dumps(record), "a.json"))
    assert report["summary"]["failed"] == 0 and report["records"][0]["id"] == catalog["a"], report
    with session_scope(database) as s:
        after = {k: section_snapshot(s.get(Credential, catalog["a"]), k) for k in ("related", "programs", "skills")}
    assert after == before and {"kind": "related", "credential_id": catalog["c"]} in after["related"]["related"]
    assert record_of(database, catalog["a"]) == record
