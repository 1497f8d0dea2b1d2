"""Credential names derived from a state ETPL (scripts/derive_credential_names.py) and carried by
occupations and programmes (store.taxonomy_sources, indexer.documents)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from indexer.documents import build_concept_document
from store.models import Concept
from store.taxonomy_sources import DATA_DIR, read_cip, read_credential_names, read_onet

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("derive", ROOT / "scripts" / "derive_credential_names.py")
derive = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(derive)


def programme(provider: str, credential: str, cip: str = "", *onet: str) -> dict:
    row = {"Provider ID": provider, "Associted Credential Name": credential, "Instructional Program (CIP) Code": cip}
    row.update({f"Occupation Code (ONET {i + 1})": code for i, code in enumerate(onet)})
    return row


def test_a_cell_listing_several_credentials_is_split_and_empty_values_dropped():
    assert derive.credential_names("CompTIA A+, Microsoft Azure Fundamentals;\nCCNA") == [
        "CompTIA A+", "Microsoft Azure Fundamentals", "CCNA"]
    assert derive.credential_names("0") == [] and derive.credential_names(" N/A ") == []
    assert derive.credential_names("  Certified   Welder ") == ["Certified Welder"]


def test_a_code_needs_two_providers_and_a_third_of_those_naming_the_credential():
    rows = [
        programme("1", "Certified Welder", "480508", "51412100"),
        programme("1", "Certified Welder", "480508", "51412100"),  # another campus: still one provider
        programme("2", "certified welder", "480508", "51412100", "47211100"),
        programme("3", "Certified Welder", "480508", "51412100"),
        # Everyone's "certificate of completion" points somewhere else: no code gets a third.
        *(programme(str(i), "Certificate of Completion", cip, onet) for i, (cip, onet) in enumerate(
            [("513902", "31113100"), ("480508", "51412100"), ("110201", "15125200"), ("520302", "43303100")])),
    ]
    table = derive.derive(rows)
    assert {(r["credential_name"], r["vocabulary"], r["code"], r["providers"], r["name_providers"]) for r in table} == {
        ("Certified Welder", "occupations", "51-4121.00", 3, 3),
        ("Certified Welder", "programs", "48.0508", 3, 3),
    }  # 47-2111.00 came from one provider only


def test_onet_2010_codes_are_crosswalked_and_unknown_codes_dropped():
    current, older = derive.onet_codes()
    # 15-1121.00 (Computer Systems Analysts, 2010) is 15-1211.00 in O*NET-SOC 2019.
    assert derive.occupations_of({"Occupation Code (ONET 1)": "15112100", "Occupation Code (ONET 2)": "51412000"},
                                 current, older) == {"15-1211.00"}
    assert derive.programme_of({"Instructional Program (CIP) Code": "10605"}, derive.cip_codes()) == {"01.0605"}


def test_the_bundled_table_ties_vendor_and_licence_names_to_occupations_and_programmes():
    occupations = read_credential_names(DATA_DIR, "occupations")
    programs = read_credential_names(DATA_DIR, "programs")
    assert "CompTIA Security+" in occupations["15-1231.00"]
    assert "CompTIA Security+" in programs["11.1003"]
    assert "NCLEX RN" in occupations["29-1141.00"]
    assert "CDL" in occupations["53-3032.00"] and "CDL" in programs["49.0205"]
    assert all(len(names) <= 12 for names in occupations.values())


def test_occupation_and_programme_documents_carry_the_names_and_others_do_not():
    onet = {row.code: row for row in read_onet()}
    cip = {row.code: row for row in read_cip()}
    analysts = onet["15-1231.00"]
    doc = build_concept_document(Concept(code=analysts.code, label=analysts.label, links=analysts.links), "onet-soc")
    assert "CompTIA Security+" in doc["credential_names"]
    doc = build_concept_document(Concept(code="11.1003", label=cip["11.1003"].label, links=cip["11.1003"].links),
                                 "cip-2020")
    assert "CompTIA Security+" in doc["credential_names"]
    skill = build_concept_document(Concept(code="2.A.1.a", label="Reading Comprehension", links={}), "skills")
    assert "credential_names" not in skill  # the skills mapping has no such field


def test_programme_documents_carry_the_technology_of_the_occupations_they_lead_to():
    """O*NET Technology Skills, hot technologies first, in turns across the crosswalked occupations;
    stored for search only (the crosswalk entries shown in the "via" line stay small)."""
    from indexer.documents import crosswalk_entry

    onet = {row.code: row for row in read_onet()}
    assert "Oracle Java" in onet["15-1252.00"].links["technology"]
    entries = [crosswalk_entry(Concept(code=code, label=onet[code].label, alt_labels=onet[code].alt_labels,
                                       links=onet[code].links)) for code in ("15-1251.00", "15-1252.00")]
    doc = build_concept_document(Concept(code="11.0201", label="Computer Programming/Programmer, General", links={}),
                                 "cip-2020", crosswalk=entries)
    assert "Oracle Java" in doc["occupation_technology"] and len(doc["occupation_technology"]) <= 60
    both = set(entries[0]["technology"]) & set(entries[1]["technology"])
    assert set(doc["occupation_technology"][:len(both)]) == both  # what both use comes first
    assert all("technology" not in entry for entry in doc["crosswalk"])


def test_a_technology_few_of_a_programmes_occupations_use_is_left_out():
    from indexer.documents import shared_technology

    crosswalk = [{"technology": ["Microsoft Word", "Dassault Systemes SolidWorks"]},
                 {"technology": ["Microsoft Word", "Adobe InDesign"]}, {"technology": ["Microsoft Word"]},
                 {"technology": ["Adobe InDesign"]}]
    assert shared_technology(crosswalk) == ["Microsoft Word", "Adobe InDesign"]  # SolidWorks: 1 of 4
