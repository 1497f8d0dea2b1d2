"""Saving credentials: one section at a time, with revisions, history, conflicts and the outbox.

Every save bumps the credential's revision, records who changed what in a RevisionEntry, and,
when the public document may have changed, writes an outbox event in the same transaction.
A save names the revision it started from; if someone else saved the same section since then,
the save is refused with what they changed, never silently overwritten.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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
        every = self.session.info.get(EVERY_CODE, {}).get(vocabulary)
        if every is not None:  # an import loaded them all (every_code)
            return codes & every
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


EVERY_CODE = "authoring_every_code"  # session.info key: vocabulary -> frozenset of its codes


@contextmanager
def every_code(session: Session, vocabularies=("occupations", "sectors", "programs", "skills")):
    """Within the block, Known.codes answers from every code of the bound schemes, read once
    (one query per vocabulary), instead of a query or two per lookup: an import of thousands
    of records looks codes up a few times each."""
    loaded = {vocabulary: frozenset(session.scalars(select(Concept.code).join(Scheme).where(
        Scheme.name == bound_scheme(session, vocabulary)))) for vocabulary in vocabularies}
    outer = session.info.get(EVERY_CODE)
    session.info[EVERY_CODE] = loaded
    try:
        yield
    finally:
        if outer is None:
            session.info.pop(EVERY_CODE, None)
        else:
            session.info[EVERY_CODE] = outer


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
#
# Each section is applied in two steps: `clean` validates the payload against the lookups (and may
# query, e.g. for a required-credential cycle) without touching the credential, and `put` writes
# the cleaned values into it. A save cleans all of its sections before it puts any, so a payload
# that fails changes nothing; catalog.authoring.bulk cleans a whole batch first the same way.


def _clean_details(session: Session, credential: Credential, payload, known: Known) -> dict:
    return v.clean_details(payload, known.codes("programs", _cips_in(payload)))


def _put_details(credential: Credential, cleaned: dict) -> None:
    cleaned = dict(cleaned)
    _set_links(credential, "cips", CredentialCip, cleaned.pop("cip_codes"))
    for field, value in cleaned.items():
        setattr(credential, field, value)


def _set_links(credential: Credential, attr: str, table, codes: list[str]) -> None:
    """Make the link rows in `attr` equal `codes`, in order, keeping rows that stay."""
    current = {link.code: link for link in getattr(credential, attr)}
    setattr(credential, attr, [current.get(code) or table(code=code) for code in codes])
    for position, link in enumerate(getattr(credential, attr)):
        link.position = position


def _codes_section(table, attr: str, vocabulary: str, noun: str):
    def clean(session: Session, credential: Credential, payload, known: Known) -> list[str]:
        raw = payload.get(vocabulary, payload) if isinstance(payload, dict) else payload
        candidates = raw if isinstance(raw, list) else []
        return v.clean_codes(raw, vocabulary, known.codes(vocabulary, candidates), noun)

    def put(credential: Credential, codes: list[str]) -> None:
        _set_links(credential, attr, table, codes)

    return clean, put


def _clean_related(session: Session, credential: Credential, payload, known: Known) -> list[dict]:
    items = payload.get("related", payload) if isinstance(payload, dict) else payload
    targets = known.relation_targets(credential.org_id, _ids_in(items, "credential_id"))
    cips = known.codes("programs", _cips_in(items))
    relations = v.clean_relations(items, credential.id, targets, cips)
    required = [r["credential_id"] for r in relations if r["kind"] == "required" and "credential_id" in r]
    cycle = _required_cycle(session, credential.id, required)
    if cycle:
        raise v.ValidationError({"related": "a required-credential cycle would form: " + " → ".join(cycle)})
    return relations


def _put_related(credential: Credential, relations: list[dict]) -> None:
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


def _clean_skills(session: Session, credential: Credential, payload, known: Known) -> tuple[list[dict], list[dict]]:
    items = payload.get("items", payload) if isinstance(payload, dict) else payload
    codes = [i.get("skill_id") or i.get("code") for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    return v.clean_skills(payload, known.codes("skills", codes), merged_scale)


def _put_skills(credential: Credential, cleaned: tuple[list[dict], list[dict]]) -> None:
    custom, skills = cleaned
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


def _clean_programs(session: Session, credential: Credential, payload, known: Known) -> list[dict]:
    items = payload.get("programs", payload) if isinstance(payload, dict) else payload
    names, allowed = known.providers(credential.org_id, _ids_in(items, "provider_org_id"))
    return v.clean_programs(items, names, allowed, known.codes("programs", _cips_in(items)))


def _put_programs(credential: Credential, programs: list[dict]) -> None:
    existing = {p.id: p for p in credential.programs}
    kept = []
    for program in programs:
        program = dict(program)
        row = existing.get(program.pop("id")) or Program()
        kept.append(_set(row, **program))
    credential.programs = kept


def _set(row, **values):
    for key, value in values.items():
        setattr(row, key, value)
    return row


# Joins the sections of one save in its history entry's `section` ("occupations+sectors").
SECTION_JOINER = "+"

# section -> (clean, put)
SECTIONS = {
    "details": (_clean_details, _put_details),
    "occupations": _codes_section(CredentialOccupation, "occupations", "occupations", "occupation"),
    "sectors": _codes_section(CredentialSector, "sectors", "sectors", "sector"),
    "related": (_clean_related, _put_related),
    "skills": (_clean_skills, _put_skills),
    "programs": (_clean_programs, _put_programs),
}
APPLY = tuple(SECTIONS)  # the section names, in the editor's order


def clean_sections(session: Session, credential: Credential, payloads: dict, known: Known) -> dict:
    """{section: cleaned values} for a save's payloads, or ValidationError; changes nothing."""
    unknown = [section for section in payloads if section not in SECTIONS]
    if unknown:
        raise v.ValidationError({"section": f"unknown section {unknown[0]!r}; one of {', '.join(SECTIONS)}"})
    cleaned, errors = {}, {}
    for section, payload in payloads.items():  # every section's problems at once, not the first one's
        try:
            cleaned[section] = SECTIONS[section][0](session, credential, payload, known)
        except v.ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise v.ValidationError(errors)
    return cleaned


class Writes:
    """Where a save's history entry and outbox events go: at once, as here, or collected for a
    whole batch (catalog.authoring.bulk.BatchWrites), which writes the same rows together."""

    def entry(self, session: Session, credential: Credential, values: dict) -> None:
        if credential.id is None:
            session.flush()  # the entry needs the id; otherwise the commit (or next query) writes it all at once
        session.add(RevisionEntry(credential_id=credential.id, **values))

    def queue(self, session: Session, credential: Credential) -> None:
        queue_credentials(session, {credential.id})

    def referrers(self, session: Session, credential: Credential) -> None:
        """Documents of other credentials show this one's name while it is published (indexer.dependents)."""
        queue_dependents(session, "credential", {credential.id}, exclude={credential.id})


AT_ONCE = Writes()


def put_sections(session: Session, user: User | None, credential: Credential, cleaned: dict,
                 writes: Writes = AT_ONCE) -> list[str]:
    """Write cleaned sections (clean_sections) into the credential as one save: one revision and
    one history entry naming the sections that changed, which it returns."""
    renamed_from = credential.name
    changed, before, after = [], {}, {}
    for section, values in cleaned.items():
        section_before = section_snapshot(credential, section)
        SECTIONS[section][1](credential, values)
        section_after = section_snapshot(credential, section)
        if section_after != section_before:
            changed.append(section)
            before.update(section_before)
            after.update(section_after)
    if not changed:
        return changed
    _record(session, credential, user, SECTION_JOINER.join(changed), before, after,
            was_public=credential.status == Status.published.value, writes=writes)
    if "details" in changed and credential.name != renamed_from:
        writes.referrers(session, credential)
    return changed


def new_credential(org_id: int) -> Credential:
    # Empty collections from the start: a new credential has none, and reading one would
    # otherwise cost a query each once it is flushed (bulk imports create thousands). Set as
    # loaded, not assigned: assigning fires collection events that cost more than the rest of the
    # constructor. Not notes: add_note adds them by credential id, so that collection must load
    # from the database.
    credential = Credential(org_id=org_id, name="", revision=0, status=Status.draft.value)
    for collection in ("occupations", "sectors", "cips", "relations", "skills", "custom_levels", "programs"):
        set_committed_value(credential, collection, [])
    return credential


def put_created(session: Session, user: User | None, credential: Credential, cleaned_details: dict,
                writes: Writes = AT_ONCE) -> None:
    """A new credential's first save (revision 1, its "details" history entry)."""
    session.add(credential)
    before = section_snapshot(credential, "details")
    _put_details(credential, cleaned_details)
    if writes is AT_ONCE:
        session.flush()
    _record(session, credential, user, "details", before, section_snapshot(credential, "details"), was_public=False,
            writes=writes)


def put_status(session: Session, user: User | None, credential: Credential, status: str,
               writes: Writes = AT_ONCE) -> None:
    """Change the status (already checked by set_status or the caller) with its history and outbox."""
    before = {"status": credential.status}
    was_public = credential.status == Status.published.value
    credential.status = status
    if status == Status.published.value and credential.published_at is None:
        credential.published_at = utcnow()
    _record(session, credential, user, "status", before, {"status": credential.status}, was_public=was_public,
            writes=writes)
    writes.referrers(session, credential)


# --- the public operations ---------------------------------------------------------------------


def create_credential(session: Session, user: User | None, org_id: int, details: dict,
                      known: Known | None = None) -> Credential:
    credential = new_credential(org_id)
    cleaned = _clean_details(session, credential, details, known or Known(session))
    put_created(session, user, credential, cleaned)
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
    unknown = [section for section in payloads if section not in SECTIONS]
    if unknown:
        raise v.ValidationError({"section": f"unknown section {unknown[0]!r}; one of {', '.join(SECTIONS)}"})
    if credential.status == Status.archived.value:
        raise ArchivedError(credential)
    _check_conflict(session, credential, list(payloads), base_revision)
    cleaned = clean_sections(session, credential, payloads, known or Known(session))
    put_sections(session, user, credential, cleaned)
    return credential


def set_status(session: Session, user: User | None, credential: Credential, status: str,
               base_revision: int | None = None) -> Credential:
    if status not in {s.value for s in Status}:
        raise v.ValidationError({"status": "must be draft, published or archived"})
    if status == credential.status:
        return credential
    _check_conflict(session, credential, ["status"], base_revision)
    if status == Status.published.value:
        missing = v.missing_for_publish(section_snapshot(credential, "details"))
        if missing:
            raise PublishError(missing)
    put_status(session, user, credential, status)
    return credential


def add_note(session: Session, user: User | None, credential: Credential, body) -> Note:
    note = Note(credential_id=credential.id, author_id=user.id if user else None, body=v.clean_note(body))
    session.add(note)
    return note


def _check_conflict(session: Session, credential: Credential, sections: list[str], base_revision: int | None) -> None:
    """ConflictError naming every later save that touched one of `sections`."""
    if base_revision is None or base_revision >= credential.revision:
        return
    later = [entry for entry in session.scalars(
        select(RevisionEntry).where(RevisionEntry.credential_id == credential.id,
                                    RevisionEntry.revision > base_revision)
        .order_by(RevisionEntry.revision)
    ) if set(sections) & set(entry_sections(entry.section))]
    if later:
        touched = sorted({s for e in later for s in entry_sections(e.section)} & set(sections))
        raise ConflictError(SECTION_JOINER.join(touched), credential.revision, [describe_entry(e) for e in later])


def entry_sections(section: str) -> list[str]:
    """The sections a history entry covers: "occupations+sectors" -> ["occupations", "sectors"]."""
    return section.split(SECTION_JOINER)


def _record(session: Session, credential: Credential, user: User | None, section: str, before: dict,
            after: dict, was_public: bool, writes: Writes = AT_ONCE) -> None:
    changes = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
    credential.revision += 1
    credential.updated_at = utcnow()
    if credential.status == Status.published.value:
        credential.last_published_name = credential.name  # public from this commit on
    writes.entry(session, credential, {"revision": credential.revision, "user_id": user.id if user else None,
                                       "section": section, "changes": changes})
    if was_public or credential.status == Status.published.value:
        writes.queue(session, credential)


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
