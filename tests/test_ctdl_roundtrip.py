"""Round trip, as a property: any credential the editor can save (details, codes, skills with their
levels, related credentials in the catalog and outside it, education programs) exports to a valid
CTDL record, imports back onto itself unchanged, and exports again to the same record; and the
same record imported as a new credential (a fresh CTID) gives the same sections."""
from __future__ import annotations

import json
import os
import uuid

import pytest
from hypothesis import HealthCheck, Phase, given, settings as hypothesis_settings, strategies as st
from sqlalchemy import select

from store.db import session_scope
from store.facts import CREDENTIAL_TYPES, DELIVERY_MODES, DURATION_UNITS, LANGUAGES
from store.models import Concept, Credential, Organization, Scheme
from catalog.accounts import service as accounts
from catalog.authoring import service
from catalog.authoring.snapshot import section_snapshot
from catalog.ctdl.imports import run_import
from catalog.ctdl.records import published_credential_record
from catalog.ctdl.sources import read_text
from catalog.ctdl.validate import is_valid, validate_document
from tests.support.factories import make_credential

BASE = "https://registry.example.org/resources/"
# 8 keeps the suite quick; CTDL_ROUND_TRIP_EXAMPLES=200 digs deeper after a change to export or import.
EXAMPLES = int(os.environ.get("CTDL_ROUND_TRIP_EXAMPLES", 8))
SECTIONS = ("details", "occupations", "sectors", "skills", "related", "programs")
LEVELS = ("", "None", "Novice", "Intermediate", "Advanced", "Expert")

# What the editor stores: no control characters or lone surrogates (validation refuses them).
letters = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=",;")
words = st.text(letters, min_size=1, max_size=40)
text = words.filter(lambda t: t.strip())


@pytest.fixture(scope="module")
def world(database):
    with session_scope(database) as s:
        org = accounts.create_org(s, f"Round trip {uuid.uuid4().hex[:6]}", ["issuer"])

        def codes(scheme, like="%", n=6):
            return list(s.scalars(select(Concept.code).join(Scheme).where(Scheme.name == scheme, Concept.code.like(like))
                                  .order_by(Concept.code).limit(n)))

        college = accounts.create_org(s, f"Round trip college {uuid.uuid4().hex[:6]}", ["education_provider"])
        world = {"org": org.id, "college": college.id, "occupations": codes("onet-soc", "29-%"),
                 "sectors": codes("naics-2022", "62%"), "programs": codes("cip-2020", "51.%"),
                 "skills": codes("skills", "esco-%", 3) + codes("skills", "2.A%", 3)}
    # Published credentials to relate to, one of them another organization's.
    world["targets"] = [make_credential(database, world["org"], name=f"Target {i}") for i in range(2)]
    world["targets"].append(make_credential(database, world["college"], name="Another's credential"))
    return world


def levels():
    """(minimum, acquired) with the acquired level not below the minimum, either may be unset."""
    return st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)).map(
        lambda pair: pair if not all(pair) or LEVELS.index(pair[1]) >= LEVELS.index(pair[0]) else pair[::-1])


def relations(world):
    internal = st.fixed_dictionaries({"kind": st.sampled_from(["required", "related"]),
                                      "credential_id": st.sampled_from(world["targets"])})
    external = st.fixed_dictionaries({"kind": st.sampled_from(["required", "related"]),
                                      "cip": st.sampled_from(["", *world["programs"][:3]]),
                                      "type": st.sampled_from(list(CREDENTIAL_TYPES)),
                                      "name": st.one_of(st.just(""), text)}).filter(lambda r: r["cip"] or r["name"])
    # What the editor's validation calls the same relation (catalog.authoring.validation.clean_relations).
    key = (lambda r: (r["kind"], r.get("credential_id"), r.get("cip"), r.get("type"),
                      "" if r.get("cip") else r.get("name", "").casefold()))
    return st.lists(st.one_of(internal, external), max_size=4, unique_by=key)


def programs(world):
    provider = st.one_of(st.fixed_dictionaries({"provider_org_id": st.sampled_from([world["org"], world["college"]])}),
                         st.fixed_dictionaries({"provider_name": text.map(lambda t: "School " + t)}))
    fields = st.fixed_dictionaries({
        "name": text, "url": st.sampled_from(["", "https://college.example/program"]),
        "delivery_mode": st.sampled_from(["", *DELIVERY_MODES]),
        "duration": st.one_of(st.just({}), st.fixed_dictionaries({"value": st.integers(1, 60),
                                                                  "unit": st.sampled_from(list(DURATION_UNITS))})),
        "cost": st.one_of(st.none(), st.decimals(0, 99999, places=2).map(str)),
        "location": st.one_of(st.just(""), text), "cip": st.sampled_from(["", *world["programs"]])})
    return st.lists(st.tuples(provider, fields).map(lambda pair: {**pair[0], **pair[1]}), max_size=3)


def credentials(world):
    details = st.fixed_dictionaries({
        "name": text, "description": st.text(letters, min_size=15, max_size=200).filter(lambda t: len(t.strip()) >= 15),
        "credential_type": st.sampled_from(list(CREDENTIAL_TYPES)),
        "alternate_names": st.lists(text, max_size=3), "keywords": st.lists(text, max_size=4),
        "language": st.sampled_from(list(LANGUAGES)),
        "url": st.sampled_from(["", "https://example.org/credential", "http://example.com/a?b=c"]),
        "cost": st.fixed_dictionaries({"amount": st.one_of(st.none(), st.decimals(0, 99999, places=2).map(str)),
                                       "currency": st.sampled_from(["USD", "EUR"]), "note": st.one_of(st.just(""), text)}),
        "duration": st.one_of(st.just({}), st.fixed_dictionaries({"value": st.integers(1, 400),
                                                                  "unit": st.sampled_from(list(DURATION_UNITS))})),
        "delivery_mode": st.sampled_from(["", *DELIVERY_MODES]),
        "lifecycle": st.sampled_from(["active", "deprecated"]),
        "cip_codes": st.lists(st.sampled_from(world["programs"]), max_size=3, unique=True),
    })
    skills = st.lists(st.tuples(st.sampled_from(world["skills"]), levels()), max_size=4, unique_by=lambda s: s[0])
    return st.tuples(details, st.lists(st.sampled_from(world["occupations"]), max_size=3, unique=True),
                     st.lists(st.sampled_from(world["sectors"]), max_size=3, unique=True),
                     skills, relations(world), programs(world))


def snapshot(database, credential_id) -> dict:
    with session_scope(database) as s:
        credential = s.get(Credential, credential_id)
        return {section: section_snapshot(credential, section) for section in SECTIONS}


def export(database, credential_id) -> dict:
    with session_scope(database) as s:
        return published_credential_record(s, BASE, credential_id)


def test_any_saved_credential_survives_export_import_export(database, world):
    # Every example writes to the database, so shrinking a failure is slow: the first failure is shown.
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                         phases=[Phase.explicit, Phase.generate])
    @given(credentials(world))
    def round_trip(generated):
        details, occupations, sectors, skills, related, program_items = generated
        with session_scope(database) as s:
            credential = service.create_credential(s, None, world["org"], details)
            for section, value in (("occupations", occupations), ("sectors", sectors),
                                   ("skills", {"items": [{"skill_id": code, "min_level": low, "acquired_level": high}
                                                         for code, (low, high) in skills]}),
                                   ("related", related), ("programs", program_items)):
                service.save_section(s, None, credential, section, value)
            service.set_status(s, None, credential, "published")
            s.flush()
            credential_id = credential.id
        before = snapshot(database, credential_id)
        first = export(database, credential_id)
        problems = validate_document(first)
        assert is_valid(problems), problems
        with session_scope(database) as s:
            report = run_import(s, s.get(Organization, world["org"]), read_text(json.dumps(first), "first.json"))
        assert report["summary"]["failed"] == 0, report
        assert report["records"][0]["id"] == credential_id
        after = snapshot(database, credential_id)
        assert {k: v for k, v in after["details"].items() if v != before["details"].get(k)} == {}
        assert after == before
        assert export(database, credential_id) == first

        # The same record as another registry's credential (a new CTID): the same sections, but for
        # the programs' new ids, and the relations grouped by kind as CTDL groups them.
        copy = json.loads(json.dumps(first).replace(first["@graph"][0]["ceterms:ctid"], f"ce-{uuid.uuid4()}"))
        with session_scope(database) as s:
            report = run_import(s, s.get(Organization, world["org"]), read_text(json.dumps(copy), "copy.json"))
        assert report["summary"]["created"] == 1, report
        twin = snapshot(database, report["records"][0]["id"])
        for programs_of in (twin, before):
            for program in programs_of["programs"]["programs"]:
                program["id"] = None
            programs_of["related"]["related"].sort(key=lambda r: r["kind"] != "required")
        assert twin == before

    round_trip()
