"""Public search with the new skills, and demo data that uses them.

"welding" finds a credential that teaches an ESCO welding skill though the word is in neither its
name nor its description; the skill facet shows ESCO codes with their labels. The demo's welding
certificates teach arc welding and blueprints, its nurse aide training vital signs and infection control.
"""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from catalog.demo import ORGS, _skills_for
from catalog.suggest import LinkedSkills
from store.models import Concept, Scheme
from tests.support.factories import make_credential, make_org_and_editor, wait_for


def code_of(session, label: str) -> str:
    return session.scalar(select(Concept.code).join(Scheme).where(Scheme.name == "skills", Concept.label == label))


def labels_of(session, codes: list[str]) -> list[str]:
    found = dict(session.execute(select(Concept.code, Concept.label).join(Scheme)
                                 .where(Scheme.name == "skills", Concept.code.in_(codes))).all())
    return [found[c] for c in codes]


@pytest.fixture(scope="module")
def metal_joining(settings, database, worker, app):
    from store.db import session_scope

    with session_scope(database) as s:
        arc, blueprints = code_of(s, "apply arc welding techniques"), code_of(s, "read standard blueprints")
    org, _ = make_org_and_editor(database)
    name = f"Metal Joining Certificate {uuid.uuid4().hex[:6]}"
    # An occupation with nothing about welding, so that only the skills can match "welding".
    credential = make_credential(database, org, name=name, description="Joining steel plate in a shop setting.",
                                 occupations=("49-9071.00",), skills=((arc, "Novice", "Advanced"),
                                                                      (blueprints, "Novice", "Advanced")))
    client = app.test_client()
    wait_for(lambda: client.get(f"/api/v1/search?issuer={org}").get_json()["total"] == 1, timeout=60,
             message="the credential indexed")
    return org, credential, arc, client


def test_welding_finds_a_credential_that_teaches_a_welding_skill(metal_joining):
    org, credential, arc, client = metal_joining
    body = client.get(f"/api/v1/search?q=welding&issuer={org}").get_json()
    assert [hit["id"] for hit in body["hits"]] == [credential]
    skill_facet = {v["value"]: v for v in body["facets"]["skill"]}
    assert skill_facet[arc]["label"] == "apply arc welding techniques"
    filtered = client.get(f"/api/v1/search?skill={arc}&issuer={org}").get_json()
    assert filtered["total"] == 1


def demo(name: str):
    return next(d for _, (_, _, _, demos) in ORGS.items() for d in demos if d.name == name)


def test_demo_credentials_teach_realistic_skills_from_the_suggestions(db_session):
    suggested = LinkedSkills(db_session)
    welding = labels_of(db_session, _skills_for(db_session, demo("Structural Welding Certificate (AWS D1.1)"), suggested))
    assert welding[:2] == ["apply arc welding techniques", "read standard blueprints"] and len(welding) == 6
    aide = labels_of(db_session, _skills_for(db_session, demo("State Tested Nurse Aide (STNA) Training"), suggested))
    assert {"monitor patient's vital signs", "infection control"} <= set(aide)
    nursing = labels_of(db_session, _skills_for(db_session, demo("Associate Degree in Nursing (ADN)"), suggested))
    assert "implement fundamentals of nursing" in nursing, "suggested for Registered Nurses, not named"
    assert not {"Monitoring", "Quality Control Analysis"} & set(welding)
