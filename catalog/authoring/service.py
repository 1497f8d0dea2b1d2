"""Saving credentials: one section at a time, with revisions, history, conflicts and the outbox.

Every save bumps the credential's revision, records who changed what in a RevisionEntry, and,
when the public document may have changed, writes an outbox event in the same transaction.
A save names the revision it started from; if someone else saved the same section since then,
the save is refused with what they changed, never silently overwritten.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from store.ids import parse_id
from store.models import (
    Concept,
    Credential,
    CredentialCip,
    CredentialOccupation,
    CredentialRelation,
    CredentialSector,
    CredentialSkill,
    CustomLevel,
    Note,
    Organization,
    OrgKind,
    Program,
    RevisionEntry,
    Scheme,
    Status,
    User,
    utcnow,
)
from indexer.dependents import queue_credentials, queue_dependents
from store.vocabulary import bound_scheme
from catalog.authoring import validation as v
from catalog.authoring.levels import merged_scale
from catalog.authoring.links import linked_credentials
from catalog.authoring.snapshot import section_snapshot


class ConflictError(Exception):
    """Someone saved the same section after the revision this save started from."""

    def __init__(self, section: str, current_revision: int, changes: list[dict]):
        super().__init__(f"{section} was changed by someone else (now at revision {current_revision})")
        self.section, self.current_revision, self.changes = section, current_revision, changes


class ArchivedError(Exception):
    """An archived credential is kept as it was withdrawn; it changes only after unarchiving.

    Otherwise its name could change after it left the catalog, and whatever still shows it (its
    410 page, other organizations' links) would have to tell an archived rename from the record.
    """

    def __init__(self, credential: Credential):
        super().__init__(f"“{credential.name}” is archived, so nothing in it can be changed; unarchive it first "
                         "by making it a draft (or publishing it again)")
        self.credential_id = credential.id


class PublishError(v.ValidationError):
    def __init__(self, missing: list[str]):
        super().__init__({"status": "to publish, add " + ", ".join(missing)})
        self.missing = missing


LOOKUP_BATCH = 1000  # bound parameters per IN (...): PostgreSQL allows 65535, SQLite builds fewer


def _batches(values) -> list[list]:
    values = sorted(values)
    return [values[i:i + LOOKUP_BATCH] for i in range(0, len(values), LOOKUP_BATCH)]


@dataclass(frozen=True)
class Known:
    """Lookups against the database for the codes a payload mentions, and nothing more.

    Anything that cannot be a stored code or id (wrong type, too long, out of range, unstorable
    characters) is left out of the query: it is simply unknown, and validation says so.
    """

    session: Session

    def codes(self, vocabulary: str, codes) -> set[str]:
        codes = {c for c in codes if isinstance(c, str) and len(c) <= 64 and not v.UNSTORABLE.search(c)}
        if not codes:
            return set()
        scheme = bound_scheme(self.session, vocabulary)
        return {code for batch in _batches(codes) for code in self.session.scalars(
            select(Concept.code).join(Scheme).where(Scheme.name == scheme, Concept.code.in_(batch))
        )}

    def providers(self, own_org_id: int, ids) -> tuple[dict[int, str], set[int]]:
        """(id -> name of each organization that exists, the ids that may be named as a program's provider).

        A program's provider is the credential's own organization or an education provider: a
        college that runs the program. Naming any other issuer as the provider would put that
        organization's name on a credential it never agreed to appear on.
        """
        names, allowed = {}, set()
        for batch in _batches(_valid_ids(ids)):
            for org in self.session.scalars(select(Organization).where(Organization.id.in_(batch))):
                names[org.id] = org.name
                if may_provide(org, own_org_id):
                    allowed.add(org.id)
        return names, allowed

    def relation_targets(self, org_id: int, ids) -> dict[int, str]:
        """Published credentials, plus the editor's own organization's drafts."""
        targets: dict[int, str] = {}
        for batch in _batches(_valid_ids(ids)):
            targets.update(self.session.execute(
                select(Credential.id, Credential.name).where(
                    Credential.id.in_(batch),
                    or_(Credential.status == Status.published.value,
                        (Credential.org_id == org_id) & (Credential.status == Status.draft.value)),
                )
            ).all())
        return targets


def may_provide(org: Organization, own_org_id: int) -> bool:
    """Whether `org` may be named as the provider of a program on a credential of `own_org_id`."""
    return org.id == own_org_id or OrgKind.education_provider.value in (org.kinds or [])


def _valid_ids(ids) -> set[int]:
    return {i for i in ids if isinstance(i, int) and parse_id(i) is not None}


def _ids_in(items, key: str) -> list[int]:
    """The ids under `key` in a list of objects, read strictly (store.ids.parse_id): 1.5 is no id
    and is not rounded to 1; validation then says the item's id is wrong."""
    found = (parse_id(item.get(key)) for item in (items if isinstance(items, list) else []) if isinstance(item, dict))
    return [i for i in found if i is not None]


def _cips_in(payload) -> list[str]:
    if isinstance(payload, dict):
        raw = payload.get("cip_codes") or []
        return [c.strip() for c in re.split(r"[\n,;]", raw)] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return [item.get("cip") for item in payload if isinstance(item, dict)] if isinstance(payload, list) else []


# --- applying sections ---------------------------------------------------------------------------


def _apply_details(session: Session, credential: Credential, payload, known: Known) -> None:
    cleaned = v.clean_details(payload, known.codes("programs", _cips_in(payload)))
    _set_links(credential, "cips", CredentialCip, cleaned.pop("cip_codes"))
    for field, value in cleaned.items():
        setattr(credential, field, value)


def _set_links(credential: Credential, attr: str, table, codes: list[str]) -> None:
    """Make the link rows in `attr` equal `codes`, in order, keeping rows that stay."""
    current = {link.code: link for link in getattr(credential, attr)}
    setattr(credential, attr, [current.get(code) or table(code=code) for code in codes])
    for position, link in enumerate(getattr(credential, attr)):
        link.position = position


def _apply_codes(table, attr: str, vocabulary: str, noun: str):
    def apply(session: Session, credential: Credential, payload, known: Known) -> None:
        raw = payload.get(vocabulary, payload) if isinstance(payload, dict) else payload
        candidates = raw if isinstance(raw, list) else []
        _set_links(credential, attr, table, v.clean_codes(raw, vocabulary, known.codes(vocabulary, candidates), noun))

    return apply


def _apply_related(session: Session, credential: Credential, payload, known: Known) -> None:
    items = payload.get("related", payload) if isinstance(payload, dict) else payload
    targets = known.relation_targets(credential.org_id, _ids_in(items, "credential_id"))
    cips = known.codes("programs", _cips_in(items))
    relations = v.clean_relations(items, credential.id, targets, cips)
    required = [r["credential_id"] for r in relations if r["kind"] == "required" and "credential_id" in r]
    cycle = _required_cycle(session, credential.id, required)
    if cycle:
        raise v.ValidationError({"related": "a required-credential cycle would form: " + " → ".join(cycle)})
    credential.relations = [
        CredentialRelation(kind=r["kind"], target_id=r.get("credential_id"), external_cip=r.get("cip", ""),
                           external_type=r.get("type", ""), external_name=r.get("name", ""))
        for r in relations
    ]


def _required_cycle(session: Session, self_id: int | None, required: list[int]) -> list[str]:
    """If requiring `required` lets `self_id` reach itself through `required` links, the path."""
    if self_id is None or not required:
        return []
    parent: dict[int, int | None] = {target: None for target in required}
    frontier = list(required)
    while frontier:
        rows = session.execute(
            select(CredentialRelation.credential_id, CredentialRelation.target_id)
            .where(CredentialRelation.kind == "required", CredentialRelation.credential_id.in_(frontier),
                   CredentialRelation.target_id.is_not(None))
        ).all()
        frontier = []
        for source, target in rows:
            if target == self_id:
                chain, node = [], source
                while node is not None:
                    chain.append(node)
                    node = parent[node]
                ids = [self_id, *reversed(chain), self_id]
                viewer = session.scalar(select(Credential.org_id).where(Credential.id == self_id))
                names = {cid: linked.name for cid, linked in linked_credentials(session, viewer, ids).items()}
                return [names.get(i, str(i)) for i in ids]
            if target not in parent:
                parent[target] = source
                frontier.append(target)
    return []


def _apply_skills(session: Session, credential: Credential, payload, known: Known) -> None:
    items = payload.get("items", payload) if isinstance(payload, dict) else payload
    codes = [i.get("skill_id") or i.get("code") for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    custom, skills = v.clean_skills(payload, known.codes("skills", codes), merged_scale)
    current = {c.name: c for c in credential.custom_levels}
    credential.custom_levels = [
        _set(current.get(c["name"]) or CustomLevel(name=c["name"]), position=c["position"]) for c in custom
    ]
    existing = {s.skill_code: s for s in credential.skills}
    credential.skills = [
        _set(existing.get(s["code"]) or CredentialSkill(skill_code=s["code"]),
             min_level=s["min_level"], acquired_level=s["acquired_level"], position=i)
        for i, s in enumerate(skills)
    ]


def _apply_programs(session: Session, credential: Credential, payload, known: Known) -> None:
    items = payload.get("programs", payload) if isinstance(payload, dict) else payload
    names, allowed = known.providers(credential.org_id, _ids_in(items, "provider_org_id"))
    programs = v.clean_programs(items, names, allowed, known.codes("programs", _cips_in(items)))
    existing = {p.id: p for p in credential.programs}
    kept = []
    for program in programs:
        row = existing.get(program.pop("id")) or Program()
        kept.append(_set(row, **program))
    credential.programs = kept


def _set(row, **values):
    for key, value in values.items():
        setattr(row, key, value)
    return row


# Joins the sections of one save in its history entry's `section` ("occupations+sectors").
SECTION_JOINER = "+"

APPLY = {
    "details": _apply_details,
    "occupations": _apply_codes(CredentialOccupation, "occupations", "occupations", "occupation"),
    "sectors": _apply_codes(CredentialSector, "sectors", "sectors", "sector"),
    "related": _apply_related,
    "skills": _apply_skills,
    "programs": _apply_programs,
}


# --- the public operations ---------------------------------------------------------------------


def create_credential(session: Session, user: User | None, org_id: int, details: dict,
                      known: Known | None = None) -> Credential:
    # Empty collections from the start: a new credential has none, and reading one would
    # otherwise cost a query each once it is flushed (bulk imports create thousands). Not notes:
    # add_note adds them by credential id, so that collection must load from the database.
    credential = Credential(org_id=org_id, name="", revision=0, status=Status.draft.value, occupations=[],
                            sectors=[], cips=[], relations=[], skills=[], custom_levels=[], programs=[])
    session.add(credential)
    before = section_snapshot(credential, "details")
    _apply_details(session, credential, details, known or Known(session))
    session.flush()
    _record(session, credential, user, "details", before, section_snapshot(credential, "details"), was_public=False)
    return credential


def save_section(session: Session, user: User | None, credential: Credential, section: str, payload,
                 base_revision: int | None = None, known: Known | None = None) -> Credential:
    """Apply one section's payload. `known` answers which codes, providers and targets exist; a
    bulk import passes one that answers from lookups loaded once (catalog.imports.pipeline)."""
    return save_sections(session, user, credential, {section: payload}, base_revision, known)


def save_sections(session: Session, user: User | None, credential: Credential, payloads: dict,
                  base_revision: int | None = None, known: Known | None = None) -> Credential:
    """Save one or more sections as one change: one revision and one history entry.

    The editor's Occupation and sector tab writes two sections with one "Save changes"; a person
    made one save, so the revision goes up once and the history shows one entry naming both
    (its section is "occupations+sectors"). Sections that did not change are left out of it.
    """
    unknown = [section for section in payloads if section not in APPLY]
    if unknown:
        raise v.ValidationError({"section": f"unknown section {unknown[0]!r}; one of {', '.join(APPLY)}"})
    if credential.status == Status.archived.value:
        raise ArchivedError(credential)
    for section in payloads:
        _check_conflict(session, credential, section, base_revision)
    renamed_from = credential.name
    known = known or Known(session)
    changed, before, after = [], {}, {}
    for section, payload in payloads.items():
        section_before = section_snapshot(credential, section)
        APPLY[section](session, credential, payload, known)
        section_after = section_snapshot(credential, section)
        if section_after != section_before:
            changed.append(section)
            before.update(section_before)
            after.update(section_after)
    if not changed:
        return credential
    _record(session, credential, user, SECTION_JOINER.join(changed), before, after,
            was_public=credential.status == Status.published.value)
    if "details" in changed and credential.name != renamed_from:
        _queue_referrers(session, credential)
    return credential


def set_status(session: Session, user: User | None, credential: Credential, status: str,
               base_revision: int | None = None) -> Credential:
    if status not in {s.value for s in Status}:
        raise v.ValidationError({"status": "must be draft, published or archived"})
    if status == credential.status:
        return credential
    _check_conflict(session, credential, "status", base_revision)
    if status == Status.published.value:
        missing = v.missing_for_publish(section_snapshot(credential, "details"))
        if missing:
            raise PublishError(missing)
    before = {"status": credential.status}
    was_public = credential.status == Status.published.value
    credential.status = status
    if status == Status.published.value and credential.published_at is None:
        credential.published_at = utcnow()
    _record(session, credential, user, "status", before, {"status": credential.status}, was_public=was_public)
    _queue_referrers(session, credential)
    return credential


def add_note(session: Session, user: User | None, credential: Credential, body) -> Note:
    note = Note(credential_id=credential.id, author_id=user.id if user else None, body=v.clean_note(body))
    session.add(note)
    return note


def _check_conflict(session: Session, credential: Credential, section: str, base_revision: int | None) -> None:
    if base_revision is None or base_revision >= credential.revision:
        return
    later = [entry for entry in session.scalars(
        select(RevisionEntry).where(RevisionEntry.credential_id == credential.id,
                                    RevisionEntry.revision > base_revision)
        .order_by(RevisionEntry.revision)
    ) if section in entry_sections(entry.section)]
    if later:
        raise ConflictError(section, credential.revision, [describe_entry(e) for e in later])


def entry_sections(section: str) -> list[str]:
    """The sections a history entry covers: "occupations+sectors" -> ["occupations", "sectors"]."""
    return section.split(SECTION_JOINER)


def _record(session: Session, credential: Credential, user: User | None, section: str, before: dict,
            after: dict, was_public: bool) -> None:
    changes = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
    credential.revision += 1
    credential.updated_at = utcnow()
    if credential.status == Status.published.value:
        credential.last_published_name = credential.name  # public from this commit on
    if credential.id is None:
        session.flush()  # the entry needs the id; otherwise the commit (or next query) writes it all at once
    session.add(RevisionEntry(credential_id=credential.id, revision=credential.revision,
                              user_id=user.id if user else None, section=section, changes=changes))
    if was_public or credential.status == Status.published.value:
        queue_credentials(session, {credential.id})


def _queue_referrers(session: Session, credential: Credential) -> None:
    """Documents of other credentials show this one's name while it is published (indexer.dependents)."""
    queue_dependents(session, "credential", {credential.id}, exclude={credential.id})


def describe_entry(entry: RevisionEntry) -> dict:
    return {
        "revision": entry.revision,
        "section": entry.section,
        "by": entry.user.email if entry.user else "system",
        "at": entry.created_at.isoformat(timespec="seconds") + "Z" if isinstance(entry.created_at, datetime) else None,
        "changes": entry.changes,
    }


def history(session: Session, credential: Credential) -> list[dict]:
    entries = session.scalars(
        select(RevisionEntry).where(RevisionEntry.credential_id == credential.id).order_by(RevisionEntry.revision.desc())
    )
    return [describe_entry(e) for e in entries]
