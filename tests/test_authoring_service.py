"""The authoring rules on a real database: validation, revisions, conflicts, outbox, status."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from store.models import Credential, OutboxEvent, Organization, RevisionEntry, User
from catalog.authoring import service
from catalog.authoring.validation import ValidationError


@pytest.fixture()
def org(db_session):
    org = Organization(name=f"Test College {uuid.uuid4().hex[:6]}", kinds=["issuer"])
    db_session.add(org)
    db_session.commit()
    return org


@pytest.fixture()
def editor(db_session):
    user = User(email=f"ed-{uuid.uuid4().hex[:6]}@example.org", password_hash="x")
    db_session.add(user)
    db_session.commit()
    return user


def _draft(db_session, org, editor, **details) -> Credential:
    details = {"name": "Registered Nurse License", "credential_type": "license",
               "description": "Licensure for registered nurses.", **details}
    credential = service.create_credential(db_session, editor, org.id, details)
    db_session.commit()
    return credential


def _events(db_session, credential) -> list[OutboxEvent]:
    return list(db_session.scalars(select(OutboxEvent).where(OutboxEvent.entity_id == credential.id,
                                                             OutboxEvent.entity == "credential")))


def test_create_validates_details(db_session, org, editor):
    with pytest.raises(ValidationError) as err:
        service.create_credential(db_session, editor, org.id, {"name": "", "credential_type": "spaceship",
                                                                "url": "ftp://x", "cip_codes": ["99.1234"]})
    db_session.rollback()
    assert set(err.value.errors) == {"name", "credential_type", "url", "cip_codes"}
    assert "99.1234" in err.value.errors["cip_codes"]


def test_every_save_bumps_the_revision_and_records_history(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    assert credential.revision == 1
    service.save_section(db_session, editor, credential, "occupations", ["29-1141.00", "29-2061.00"], 1)
    db_session.commit()
    assert credential.revision == 2
    entries = db_session.scalars(select(RevisionEntry).where(RevisionEntry.credential_id == credential.id)
                                 .order_by(RevisionEntry.revision)).all()
    assert [e.section for e in entries] == ["details", "occupations"]
    assert entries[1].changes == {"occupations": [[], ["29-1141.00", "29-2061.00"]]}
    assert entries[1].user_id == editor.id


def test_unknown_codes_are_rejected_with_the_code(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    with pytest.raises(ValidationError) as err:
        service.save_section(db_session, editor, credential, "occupations", ["29-1141.00", "00-0000.00"])
    assert "00-0000.00" in err.value.errors["occupations"]


def test_same_section_from_a_stale_revision_is_a_conflict(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    base = credential.revision
    service.save_section(db_session, editor, credential, "details",
                         {"name": "RN License", "credential_type": "license", "description": "x"}, base)
    db_session.commit()
    with pytest.raises(service.ConflictError) as err:
        service.save_section(db_session, editor, credential, "details",
                             {"name": "Nurse License", "credential_type": "license", "description": "x"}, base)
    assert err.value.changes[0]["changes"]["name"] == ["Registered Nurse License", "RN License"]
    # A different section saved from the same base does not conflict.
    service.save_section(db_session, editor, credential, "sectors", ["62"], base)


def test_drafts_write_no_outbox_events_until_published(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    service.save_section(db_session, editor, credential, "sectors", ["62"])
    db_session.commit()
    assert _events(db_session, credential) == []
    service.set_status(db_session, editor, credential, "published")
    db_session.commit()
    events = _events(db_session, credential)
    assert [e.revision for e in events] == [credential.revision]


def test_publishing_lists_what_is_missing(db_session, org, editor):
    credential = _draft(db_session, org, editor, credential_type="", description="")
    with pytest.raises(service.PublishError) as err:
        service.set_status(db_session, editor, credential, "published")
    assert err.value.missing == ["a credential type", "a description"]


def test_relations_reject_self_duplicates_and_required_cycles(db_session, org, editor):
    a = _draft(db_session, org, editor, name="A cert")
    b = _draft(db_session, org, editor, name="B cert")
    with pytest.raises(ValidationError, match="itself"):
        service.save_section(db_session, editor, a, "related", [{"kind": "related", "credential_id": a.id}])
    with pytest.raises(ValidationError, match="duplicate"):
        service.save_section(db_session, editor, a, "related", [{"kind": "related", "credential_id": b.id},
                                                                {"kind": "related", "credential_id": b.id}])
    service.save_section(db_session, editor, a, "related", [{"kind": "required", "credential_id": b.id},
                                                            {"kind": "required", "cip": "51.3801", "type": "license"}])
    db_session.commit()
    with pytest.raises(ValidationError, match="cycle") as err:
        service.save_section(db_session, editor, b, "related", [{"kind": "required", "credential_id": a.id}])
    assert "B cert" in err.value.errors["related"] and "A cert" in err.value.errors["related"]


def test_foreign_drafts_cannot_be_linked(db_session, org, editor):
    other = Organization(name=f"Other {uuid.uuid4().hex[:6]}", kinds=["issuer"])
    db_session.add(other)
    db_session.commit()
    theirs = _draft(db_session, other, editor, name="Their draft")
    mine = _draft(db_session, org, editor)
    with pytest.raises(ValidationError, match="not published"):
        service.save_section(db_session, editor, mine, "related", [{"kind": "related", "credential_id": theirs.id}])


def test_skills_with_custom_levels(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    payload = {"custom_levels": [{"name": "Supervised practice", "position": 2}],
               "items": [{"skill_id": "2.A.1.a", "min_level": "Novice", "acquired_level": "Supervised practice"},
                         {"skill_id": "2.B.1.e", "min_level": "None", "acquired_level": "Advanced"}]}
    service.save_section(db_session, editor, credential, "skills", payload)
    db_session.commit()
    assert [(s.skill_code, s.acquired_level) for s in credential.skills] == [
        ("2.A.1.a", "Supervised practice"), ("2.B.1.e", "Advanced")]
    with pytest.raises(ValidationError, match="below the minimum"):
        service.save_section(db_session, editor, credential, "skills",
                             {"items": [{"skill_id": "2.A.1.a", "min_level": "Expert", "acquired_level": "Novice"}]})


def test_programs_are_added_edited_and_removed(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    service.save_section(db_session, editor, credential, "programs", [
        {"provider_name": "City College", "name": "ADN", "delivery_mode": "in_person", "cip": "51.3801",
         "duration": {"value": 2, "unit": "years"}, "cost": "8200"}])
    db_session.commit()
    program_id = credential.programs[0].id
    service.save_section(db_session, editor, credential, "programs", [
        {"id": program_id, "provider_name": "City College", "name": "ADN (evening)"}])
    db_session.commit()
    assert [(p.id, p.name) for p in credential.programs] == [(program_id, "ADN (evening)")]
    service.save_section(db_session, editor, credential, "programs", [])
    db_session.commit()
    assert credential.programs == []


# Found by the authoring API's wrong-type tests: each of these used to end in a 500 (a TypeError,
# an OverflowError binding a huge id, or the database refusing NUL / unpaired surrogates).
@pytest.mark.parametrize("section, payload, field", [
    ("skills", {"items": [{"skill_id": ["2.A.1.a"]}]}, "skills[0].skill_id"),
    ("skills", {"items": [{"skill_id": {"code": "2.A.1.a"}}]}, "skills[0].skill_id"),
    ("skills", {"custom_levels": [{"name": "Mastery", "position": 10**30}], "items": []}, "custom_levels[0].position"),
    ("related", [{"kind": "related", "credential_id": 10**30}], "related[0].credential_id"),
    ("programs", [{"provider_org_id": 10**30, "name": "Evening ADN"}], "programs[0].provider_org_id"),
    ("details", {"name": "Nurse\x00License"}, "name"),
    ("details", {"name": "Nurse \ud800 License"}, "name"),
    ("details", {"name": "Nurse", "keywords": ["care", "\ud800"]}, "keywords"),
    ("occupations", ["29-1141.00", "29-\ud800"], "occupations"),
    ("occupations", ["29-\x00"], "occupations"),
    ("programs", [{"provider_name": "City\x00College", "name": "ADN"}], "programs[0].provider_name"),
])
def test_hostile_values_are_field_errors_not_crashes(db_session, org, editor, section, payload, field):
    credential = _draft(db_session, org, editor)
    with pytest.raises(ValidationError) as err:
        service.save_section(db_session, editor, credential, section, payload)
    db_session.rollback()
    assert field in err.value.errors


def test_thousands_of_codes_are_looked_up_in_batches(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    codes = ["29-1141.00"] + [f"00-{i:04d}.00" for i in range(70000)]  # more than PostgreSQL's 65535 parameters
    with pytest.raises(ValidationError, match="at most 100"):
        service.save_section(db_session, editor, credential, "occupations", codes)
    db_session.rollback()
    assert service.Known(db_session).codes("occupations", codes) == {"29-1141.00"}


def test_length_limits_count_what_was_sent_not_what_is_left_after_stripping(db_session, org, editor):
    credential = _draft(db_session, org, editor)
    with pytest.raises(ValidationError, match="at most 5000"):
        service.add_note(db_session, editor, credential, "ok" + "\u0085" * 5000)
    assert service.add_note(db_session, editor, credential, "  fine  ").body == "fine"
