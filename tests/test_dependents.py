"""The dependents map (indexer/dependents.py): every document field has a rule, and each rule
finds exactly the published credentials whose documents show the changed record."""
from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from indexer.dependents import fields_with_rules, stale_credentials
from indexer.documents import Lookups, build_credential_document
from store.db import session_scope
from store.models import Credential, OutboxEvent, Program
from tests.support.factories import edit, make_credential, make_org_and_editor, set_status
from catalog.authoring import service


def _everything_credential() -> SimpleNamespace:
    """A credential view with every part a document can show, as indexer.sources builds them."""
    code = SimpleNamespace
    return SimpleNamespace(
        id=1, revision=3, name="Welding Certificate", alternate_names=["AWS D1.1"], description="Structural welding.",
        credential_type="certificate", url="https://example.org", cip_codes=["48.0508"], language="en",
        cost_amount=1200, cost_currency="USD", cost_note="", duration_value=12, duration_unit="weeks",
        delivery_mode="in_person", keywords=["welding"], lifecycle="active", status="published",
        published_at=None, updated_at=None, org_id=7, organization=SimpleNamespace(name="Riverbend College"),
        occupations=[code(code="51-4121.00")], sectors=[code(code="331")], cips=[code(code="48.0508")],
        skills=[SimpleNamespace(skill_code="2.A.1.a", min_level="Novice", acquired_level="Advanced")],
        programs=[SimpleNamespace(name="Evening cohort", provider_display="Riverbend College", provider_org_id=7,
                                  url="", delivery_mode="in_person", location="Tacoma", cip_code="48.0508",
                                  duration_value=None, duration_unit="", cost_amount=None)],
        relations=[SimpleNamespace(kind="related", target=SimpleNamespace(id=2, name="Pipe Welding", status="published")),
                   SimpleNamespace(kind="required", target=None, external_cip="48.0508", external_type="license",
                                   external_name="State welding licence")],
    )


def _fields(document: dict) -> set[str]:
    return {k for k in document if k != "display"} | {f"display.{k}" for k in document["display"]}


def test_every_document_field_has_a_dependents_rule():
    document = build_credential_document(_everything_credential(), Lookups())
    missing = _fields(document) - fields_with_rules()
    assert not missing, f"document fields with no rule in indexer/dependents.py RULES: {sorted(missing)}"


def test_rules_name_no_field_the_document_lacks():
    document = build_credential_document(_everything_credential(), Lookups())
    assert fields_with_rules() <= _fields(document)


def test_an_unknown_source_is_refused(database):
    with session_scope(database) as s, pytest.raises(ValueError, match="no dependents rule"):
        stale_credentials(s, "planets", {"mars"})


@pytest.fixture(scope="module")
def world(database):
    """An issuer, a provider, and published credentials that embed them in different ways."""
    issuer, _ = make_org_and_editor(database)
    provider, _ = make_org_and_editor(database, kinds=("issuer", "education_provider"))
    tag = uuid.uuid4().hex[:6]
    plain = make_credential(database, issuer, name=f"Plain {tag}", occupations=("47-2111.00",), nudge=False)
    target = make_credential(database, issuer, name=f"Target {tag}", nudge=False)
    linking = make_credential(database, provider, name=f"Linking {tag}", nudge=False)
    draft = make_credential(database, issuer, name=f"Draft {tag}", publish=False, nudge=False)
    with session_scope(database) as s:
        s.info["nudge"] = False
        credential = s.get(Credential, linking)
        service.save_section(s, None, credential, "related", [{"kind": "related", "credential_id": target}])
        s.add(Program(credential_id=plain, provider_org_id=provider, name="Evening cohort"))
    return SimpleNamespace(issuer=issuer, provider=provider, plain=plain, target=target, linking=linking, draft=draft)


@pytest.mark.parametrize("source, keys, expected", [
    ("organization", lambda w: {w.issuer}, lambda w: {w.plain, w.target}),
    ("organization", lambda w: {w.provider}, lambda w: {w.linking, w.plain}),
    ("credential", lambda w: {w.target}, lambda w: {w.target, w.linking}),
    ("occupations", lambda w: {"47-2111.00"}, lambda w: {w.plain}),
])
def test_each_rule_finds_the_published_documents_that_show_the_record(database, world, source, keys, expected):
    with session_scope(database, write=False) as s:
        found = stale_credentials(s, source, keys(world))
    mine = {world.plain, world.target, world.linking, world.draft}
    assert found & mine == expected(world)


def test_renaming_a_linked_credential_queues_the_documents_that_show_its_name(database, world):
    def events_for(cid: int) -> int:
        with session_scope(database, write=False) as s:
            return s.query(OutboxEvent).filter(OutboxEvent.entity_id == cid).count()

    before = events_for(world.linking)
    edit(database, world.target, name=f"Renamed target {uuid.uuid4().hex[:6]}")
    assert events_for(world.linking) == before + 1
    set_status(database, world.target, "archived")
    assert events_for(world.linking) == before + 2
