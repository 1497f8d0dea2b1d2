"""The import pipeline every source shares: records in, a per-record report out.

    parse (the source: catalog.imports.tables, the CTDL reader)
      -> map       cells to fields, values normalised (catalog.imports.normalise, codes)
      -> validate  by the authoring service, the same rules as the editor
      -> upsert    through catalog.authoring.service: revisions, history and outbox follow
      -> report    {"summary": {created, updated, unchanged, failed}, "rows": [...]}

Each record is applied inside its own savepoint, so a record that fails changes nothing and the
next one goes on. Work is committed every `batch_size` records; a dry run does all the same work
and rolls each batch back instead, so it changes nothing and reports what a real run would do
(one difference: a provider it would create is "created" again in each batch that names it,
which the report does not show). Re-imports match on a stable key within the organization (`credentials.import_key`):
the source's own id when it has one, otherwise the normalised name and provider.

Usage (a source only has to produce ImportRecords):

    report = run_import(session, org_id, records, ImportOptions(dry_run=True), kind="ctdl")
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from catalog.accounts import service as accounts
from catalog.authoring import service as authoring
from catalog.authoring.snapshot import section_snapshot
from catalog.authoring.validation import ValidationError
from catalog.imports import codes
from catalog.imports.codes import CodeBook
from catalog.imports.normalise import Draft, build_draft
from catalog.imports.records import ImportRecord, Problem, RowResult, STATUSES
from store.facts import MAX_LENGTH
from store.models import Concept, Credential, Organization, OrgKind, Scheme, Status, User
from store.vocabulary import bound_scheme


@dataclass
class ImportOptions:
    dry_run: bool = False
    publish: bool = False
    create_providers: bool = False
    with_suggested_occupations: bool = False
    batch_size: int = 200


def load_code_book(session: Session) -> CodeBook:
    """Every CIP and occupation code of the bound schemes, read once per import."""
    def concepts(vocabulary: str):
        return session.execute(select(Concept.code, Concept.links).join(Scheme)
                               .where(Scheme.name == bound_scheme(session, vocabulary))).all()

    cip_rows = concepts("programs")
    return CodeBook(
        cips=frozenset(code for code, _ in cip_rows),
        occupations=frozenset(code for code, _ in concepts("occupations")),
        cip_soc={code: tuple((links or {}).get("soc") or ()) for code, links in cip_rows if (links or {}).get("soc")},
    )


# Authoring-service error keys -> the import field whose column the report names.
_ERROR_FIELDS = (
    (r"^name$|^programs\[\d+\]\.name$", "name"), (r"^description$", "description"),
    (r"^credential_type$", "credential_type"), (r"url$", "url"), (r"cip", "cip"), (r"^cost|\.cost$", "cost"),
    (r"duration", "duration_hours"), (r"delivery_mode$", "delivery_mode"), (r"^keywords$", "keywords"),
    (r"^language$", "language"), (r"^lifecycle$", "status"), (r"^occupations$", "occupations"),
    (r"^related", "leads_to"), (r"provider", "provider"), (r"location$", "city"),
)


def _problems_from(error: ValidationError, record: ImportRecord) -> list[Problem]:
    problems = []
    for where, reason in error.errors.items():
        field = next((f for pattern, f in _ERROR_FIELDS if re.search(pattern, where)), None)
        if field == "duration_hours":
            field = next((f for f in ("duration_hours", "duration_weeks", "duration_months", "duration")
                          if record.values(f)), "duration")
        column, value = record.first(field) if field else (where, "")
        problems.append(Problem(column or where, str(value if value is not None else "")[:200], reason))
    return problems


# Which details fields each import field feeds: an update overwrites only what the file has.
_DETAIL_SOURCES = {
    "name": ("name",), "description": ("description", "prerequisites"), "credential_type": ("credential_type",),
    "url": ("url",), "cip_codes": ("cip",), "cost": ("cost",),
    "duration": ("duration_hours", "duration_weeks", "duration_months", "duration"),
    "delivery_mode": ("delivery_mode",), "keywords": ("keywords",), "language": ("language",),
    "lifecycle": ("status",),
}


class ImportKnown(authoring.Known):
    """The authoring service's lookups, with code lookups answered from the code book loaded once
    per import instead of a query per section."""

    def __init__(self, session: Session, book: CodeBook, orgs: dict, targets: dict):
        super().__init__(session)
        object.__setattr__(self, "book", book)
        object.__setattr__(self, "orgs", orgs)        # id -> (name, kinds), kept current by the Importer
        object.__setattr__(self, "targets", targets)  # credential id -> name, for "leads to" links

    def codes(self, vocabulary: str, codes) -> set[str]:
        known = {"programs": self.book.cips, "occupations": self.book.occupations}.get(vocabulary)
        if known is None:
            return super().codes(vocabulary, codes)
        return {c for c in codes if isinstance(c, str) and c in known}

    def providers(self, own_org_id: int, ids) -> tuple[dict[int, str], set[int]]:
        names, allowed = {}, set()
        for org_id in ids:
            if org_id in self.orgs:
                name, kinds = self.orgs[org_id]
                names[org_id] = name
                if org_id == own_org_id or OrgKind.education_provider.value in kinds:
                    allowed.add(org_id)
        return names, allowed

    def relation_targets(self, org_id: int, ids) -> dict[int, str]:
        missing = [i for i in ids if i not in self.targets]
        found = {i: self.targets[i] for i in ids if i in self.targets}
        return {**found, **(super().relation_targets(org_id, missing) if missing else {})}


class Importer:
    """Applies records for one organization, with lookups loaded once."""

    def __init__(self, session: Session, org: Organization, user: User | None, options: ImportOptions):
        self.session, self.org, self.user, self.options = session, org, user, options
        self.book = load_code_book(session)
        self.existing: dict[str, int] = dict(session.execute(
            select(Credential.import_key, Credential.id)
            .where(Credential.org_id == org.id, Credential.import_key.is_not(None))).all())
        # Plain values, not ORM objects: a failed record's savepoint rollback expires objects, and
        # batches are expunged, so cached objects would go stale.
        self.org_id, self.org_name = org.id, org.name
        self.org_by_id: dict[int, tuple[str, list]] = {
            oid: (name, list(kinds or []))
            for oid, name, kinds in session.execute(select(Organization.id, Organization.name, Organization.kinds))}
        self.orgs: dict[str, tuple[int, list]] = {codes.name_key(name): (oid, kinds)
                                                  for oid, (name, kinds) in self.org_by_id.items()}
        self.catalog_names: dict[str, int] = {}
        targets: dict[int, str] = {}
        for cid, name in session.execute(select(Credential.id, Credential.name).where(or_(
                Credential.status == Status.published.value,
                (Credential.org_id == org.id) & (Credential.status == Status.draft.value)))):
            self.catalog_names.setdefault(codes.name_key(name), cid)
            targets[cid] = name
        self.known = ImportKnown(session, self.book, self.org_by_id, targets)
        self.seen: dict[str, int] = {}
        self._loaded = (dict(self.existing), dict(self.orgs), dict(self.org_by_id))

    def forget_unsaved(self) -> None:
        """After a rollback: drop what the rolled-back records added to the lookups (new
        credentials' keys, new providers), keeping which keys the file has used (`seen`)."""
        existing, orgs, org_by_id = self._loaded
        self.existing.clear()
        self.existing.update(existing)
        self.orgs.clear()
        self.orgs.update(orgs)
        self.org_by_id.clear()
        self.org_by_id.update(org_by_id)

    # --- one record ------------------------------------------------------------------------------

    def apply(self, record: ImportRecord) -> RowResult:
        draft = build_draft(record, self.book, self.options.with_suggested_occupations)
        result = RowResult(row=record.row, status="failed", name=draft.name, problems=list(draft.problems),
                           suggested_occupations=draft.suggested_occupations)
        if not draft.name:
            column, value = record.first("name")
            result.problems.append(Problem(column or "name", str(value or ""), "a name is required"))
            return result
        if draft.external_id and len(draft.external_id) > 200:
            result.problems.append(Problem(record.column("external_id"), draft.external_id[:200],
                                           "an external id must be at most 200 characters"))
            return result
        if draft.key in self.seen:
            result.problems.append(Problem(record.column("external_id" if draft.external_id else "name"),
                                           draft.external_id or draft.name,
                                           f"the same record as row {self.seen[draft.key]} (same "
                                           f"{'external id' if draft.external_id else 'name and provider'})"))
            return result
        self.seen[draft.key] = record.row
        new_orgs: list[Organization] = []
        try:
            with self.session.begin_nested():
                credential, status = self._upsert(record, draft, result, new_orgs)
        except ValidationError as error:
            result.problems.extend(_problems_from(error, record))
            return result
        except authoring.ArchivedError as error:
            result.problems.append(Problem(record.column("name"), draft.name, str(error)))
            return result
        except (SQLAlchemyError, ValueError, accounts.AccountError) as error:
            result.problems.append(Problem("", "", f"could not be saved: {str(error).splitlines()[0][:300]}"))
            return result
        for key, (org_id, kinds) in new_orgs:
            self.orgs[key] = (org_id, kinds)
            self.org_by_id[org_id] = (draft.provider, kinds)
        self.existing[draft.key] = credential.id
        result.status, result.id = status, credential.id
        return result

    def _upsert(self, record: ImportRecord, draft: Draft, result: RowResult, new_orgs: list) -> tuple[Credential, str]:
        session, mapped = self.session, {f for f, _c, _v in record.cells}
        existing_id = self.existing.get(draft.key)
        credential = session.get(Credential, existing_id) if existing_id else None
        if credential is None:
            credential = authoring.create_credential(session, self.user, self.org_id, draft.details, self.known)
            credential.import_key, credential.external_id = draft.key, draft.external_id
            before = None
        else:
            before = credential.revision
            details = section_snapshot(credential, "details")
            for name, sources in _DETAIL_SOURCES.items():
                if mapped & set(sources):
                    details[name] = draft.details[name]
            authoring.save_section(session, self.user, credential, "details", details, known=self.known)
        if draft.occupations or "occupations" in mapped:
            authoring.save_section(session, self.user, credential, "occupations", draft.occupations, known=self.known)
        if draft.leads_to:
            authoring.save_section(session, self.user, credential, "related", self._related(credential, draft),
                                   known=self.known)
        if draft.provider:
            authoring.save_section(session, self.user, credential, "programs",
                                   self._programs(credential, draft, result, new_orgs), known=self.known)
        if self.options.publish and credential.status == Status.draft.value:
            try:
                with session.begin_nested():
                    authoring.set_status(session, self.user, credential, Status.published.value)
            except authoring.PublishError as error:
                result.problems.append(Problem("", "", f"left as a draft: {error.errors['status']}"))
        if before is None:
            return credential, "created"
        return credential, "unchanged" if credential.revision == before else "updated"

    def _related(self, credential: Credential, draft: Draft) -> list[dict]:
        """The credential's relations plus what the record leads to: a catalog credential when one
        has that name, otherwise an external one with a name and a type."""
        related = section_snapshot(credential, "related")["related"]
        # Names it is already related to, by link or by name: a re-import leaves those alone even
        # if a catalog credential of that name appeared since (the first import may have created
        # it after this row), so importing the same file twice changes nothing.
        have = {codes.name_key(r["name"]) for r in related if r.get("name")}
        have |= {codes.name_key(self.known.targets.get(r["credential_id"], ""))
                 for r in related if r.get("credential_id") is not None}
        for title in draft.leads_to:
            key = codes.name_key(title)
            if key in have:
                continue
            have.add(key)
            target = self.catalog_names.get(key)
            if target is not None and target != credential.id:
                related.append({"kind": "related", "credential_id": target})
            else:
                related.append({"kind": "related", "name": title, "type": codes.related_type(title), "cip": ""})
        return related

    def _provider(self, draft: Draft, new_orgs: list) -> int | None:
        """The organization to link as the provider, or None to name it by text."""
        found = self.orgs.get(codes.name_key(draft.provider))
        if found is None and self.options.create_providers and len(draft.provider) <= MAX_LENGTH["provider_name"]:
            org = accounts.create_org(self.session, draft.provider, [OrgKind.education_provider.value])
            found = (org.id, list(org.kinds))
            new_orgs.append((codes.name_key(draft.provider), found))
            self.org_by_id[org.id] = (org.name, found[1])  # the program section looks it up next
        if found is None:
            return None
        org_id, kinds = found
        # Only the organization itself or an education provider may be linked as a provider
        # (catalog.authoring.service.may_provide); any other issuer is named by text.
        return org_id if org_id == self.org_id or OrgKind.education_provider.value in kinds else None

    def _programs(self, credential: Credential, draft: Draft, result: RowResult, new_orgs: list) -> list[dict]:
        provider_id = self._provider(draft, new_orgs)
        program = {**draft.program, "provider_org_id": provider_id,
                   "provider_name": "" if provider_id else draft.program["provider_name"]}
        programs = section_snapshot(credential, "programs")["programs"]
        wanted = codes.name_key(draft.provider)
        for i, current in enumerate(programs):
            named = current["provider_name"] or (self.session.get(Organization, current["provider_org_id"]).name
                                                 if current["provider_org_id"] else "")
            if codes.name_key(named) == wanted:
                programs[i] = {**program, "id": current["id"]}
                return programs
        return [*programs, program]


# --- a whole run -----------------------------------------------------------------------------------


def empty_summary() -> dict:
    return {status: 0 for status in STATUSES}


def run_import(session: Session, org_id: int, records: Iterable[ImportRecord], options: ImportOptions,
               user: User | None = None, *, kind: str = "table", source: str = "", mapping: dict | None = None,
               progress: Callable[[int], None] | None = None) -> dict:
    """Apply `records` for organization `org_id` and return the report (see the module docstring).

    `progress(n)` is called after each record. A dry run rolls back everything, including the
    providers `create_providers` would add. Give it a session of its own: it commits (or rolls
    back) and expunges the session's objects between batches.
    """
    org = session.get(Organization, org_id)
    if org is None:
        raise ValueError(f"there is no organization {org_id}")
    importer = Importer(session, org, user, options)
    org_summary = {"id": org.id, "name": org.name}
    summary, rows = empty_summary(), []
    try:
        for count, record in enumerate(records, 1):
            result = importer.apply(record)
            summary[result.status] += 1
            rows.append(result.as_dict())
            if progress:
                progress(count)
            if count % options.batch_size == 0:
                if options.dry_run:
                    # Rolled back batch by batch, so the write lock (SQLite) is held only briefly.
                    session.rollback()
                    importer.forget_unsaved()
                else:
                    session.commit()
                session.expunge_all()  # keeps memory flat on large files
    except BaseException:
        session.rollback()
        raise
    if options.dry_run:
        session.rollback()
    else:
        session.commit()
    return {"kind": kind, "source": source, "organization": org_summary,
            "dry_run": options.dry_run, "options": {"publish": options.publish,
                                                    "create_providers": options.create_providers,
                                                    "with_suggested_occupations": options.with_suggested_occupations},
            "mapping": mapping or {}, "summary": summary, "rows": rows}
