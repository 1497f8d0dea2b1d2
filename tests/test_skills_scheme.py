"""The skills scheme: ESCO skills and knowledge, O*NET work activities, tools, knowledge and the
O*NET skills and technologies it had before, each with its source, kind and labels.

Credentials keep their skill links: every code of the old scheme is a code of the new one, so a
database loaded before needs no migration, and a re-import deletes nothing.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from store.models import Concept, CredentialSkill, Scheme
from store.skill_sources import KINDS, read_skills_scheme
from store.taxonomy_sources import read_skills


@pytest.fixture(scope="module")
def scheme():
    return {row.code: row for row in read_skills_scheme()}


def test_the_scheme_has_esco_onet_activities_tools_and_the_old_entries(scheme):
    by_kind = {kind: [r for r in scheme.values() if r.links["kind"] == kind] for kind in KINDS}
    esco = [r for r in scheme.values() if r.links["source"] == "esco"]
    assert len(esco) == 13_896, "every ESCO v1.1.1 skill and knowledge concept"
    assert len([r for r in by_kind["activity"]]) == 2_087, "every O*NET DWA"
    assert len(by_kind["tool"]) > 4_000 and by_kind["technology"] and by_kind["ability"]
    assert all(r.links["source"] in ("esco", "onet") and r.links["source_id"] for r in scheme.values())


def test_a_concept_keeps_source_id_kind_and_alternative_labels(scheme):
    forklift = next(r for r in scheme.values() if r.label == "operate forklift")
    assert forklift.links["kind"] == "skill" and forklift.links["source"] == "esco"
    assert forklift.links["source_id"].startswith("http://data.europa.eu/esco/skill/")
    assert forklift.code == "esco-" + forklift.links["source_id"].rsplit("/", 1)[1]
    assert {"drive forklift", "use a forklift"} <= set(forklift.alt_labels)
    assert forklift.label not in forklift.alt_labels
    weld = scheme["4.A.3.a.2.I35.D02"]
    assert (weld.label, weld.links["kind"], weld.links["source"]) == ("Weld metal components", "activity", "onet")
    resuscitation = next(r for r in scheme.values() if r.label == "resuscitation")
    assert resuscitation.links["kind"] == "knowledge" and "CPR" in resuscitation.alt_labels


def test_tools_are_examples_grouped_under_their_commodity_without_duplicates(scheme):
    forklifts = scheme["tool-24101603"]
    assert forklifts.label == "Forklifts" and forklifts.links["source_id"] == "24101603"
    folded = [a.casefold() for a in forklifts.alt_labels]
    assert len(folded) == len(set(folded)) and "forklifts" not in folded
    assert forklifts.links["occupations"]["53-7051.00"][1].startswith("u:")


def test_hidden_labels_are_search_terms_beside_the_labels(scheme):
    osha = [r for r in scheme.values() if "OSHA" in r.links.get("hidden_labels", [])]
    assert osha and all("OSHA" not in r.alt_labels for r in osha)
    assert sum(1 for r in scheme.values() if r.links.get("hidden_labels")) > 50, "ESCO's own hidden labels"


def test_every_old_code_is_still_a_code_with_its_label(scheme):
    old = read_skills()
    assert len(old) > 9_000
    missing = [r.code for r in old if r.code not in scheme]
    assert missing == []
    assert all(scheme[r.code].label == r.label for r in old)
    assert scheme["2.A.1.a"].links["kind"] == "skill" and scheme["2.C.1.a"].links["kind"] == "knowledge"
    assert scheme["tech-python"].links["kind"] == "technology"


def test_occupation_links_rank_essential_before_optional_and_weigh_importance(scheme):
    welder = "51-4121.00"
    arc = next(r for r in scheme.values() if r.label == "apply arc welding techniques")
    weight, why = arc.links["occupations"][welder]
    assert why.startswith("e:") and "welder" in why and 0.6 <= weight <= 1
    optional = [r.links["occupations"][welder] for r in scheme.values()
                if r.links.get("occupations", {}).get(welder, [0, ""])[1].startswith("o:")]
    assert optional and max(w for w, _ in optional) < 0.6
    operate, weld = scheme["4.A.3.a.2.I35.D05"].links["occupations"][welder], scheme["4.A.3.a.2.I35.D02"]
    assert operate == [0.7, "t:6"], "the activity most of its tasks need weighs most"
    assert welder not in weld.links["occupations"], "O*NET links no welder task to 'Weld metal components'"
    mechanical = scheme["2.C.3.b"].links["occupations"]
    assert all(why.startswith("i:") and float(why[2:]) >= 3 for _, why in mechanical.values())


@pytest.fixture(scope="module")
def old_database(settings, tmp_path_factory):
    """A database loaded with the scheme as it was before ESCO, with a credential that uses it."""
    from catalog.taxonomy import apply_scheme, import_bundled
    from store.db import session_scope
    from store.migrate import upgrade
    from tests.support.factories import make_credential, make_org_and_editor

    from tests.conftest import throwaway_database

    with throwaway_database(tmp_path_factory.mktemp("skills-old"), "skillsold") as url:
        upgrade(url)
        with session_scope(url) as s:
            import_bundled(s, ["onet-soc", "naics-2022", "cip-2020"])
            apply_scheme(s, "skills", "Skills (before ESCO)", "O*NET", read_skills())
            s.commit()
        org, _ = make_org_and_editor(url)
        credential = make_credential(url, org, nudge=False, skills=[
            ("2.A.1.a", "Novice", "Advanced"), ("tech-python", "Novice", "Advanced"),
            ("unspsc-43232110", "Novice", "Advanced"), ("2.C.1.a", "Novice", "Advanced")])
        yield url, credential


def test_reimporting_over_the_old_scheme_keeps_every_skill_link(old_database):
    from catalog.taxonomy import import_bundled
    from store.db import session_scope

    url, credential = old_database
    with session_scope(url) as s:
        result, = import_bundled(s, ["skills"])
    assert result.deleted == 0 and result.created > 19_000
    with session_scope(url) as s:
        linked = s.scalars(select(CredentialSkill.skill_code).where(CredentialSkill.credential_id == credential)).all()
        known = set(s.scalars(select(Concept.code).join(Scheme).where(Scheme.name == "skills", Concept.code.in_(linked))))
    assert sorted(linked) == sorted(known) == sorted(["2.A.1.a", "tech-python", "unspsc-43232110", "2.C.1.a"])
    with session_scope(url) as s:
        again, = import_bundled(s, ["skills"])
    assert (again.created, again.updated, again.deleted) == (0, 0, 0), "a rerun changes nothing"
