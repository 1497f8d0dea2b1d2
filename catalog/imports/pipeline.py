"""The import pipeline every source shares: records in, a per-record report out.

    parse (the source: catalog.imports.tables, catalog.ctdl.sources)
      -> map       a record to our fields, values normalised (normalise.py, codes.py; ctdl.map_record)
      -> validate  by the authoring service, the same rules as the editor, a whole batch at once
      -> upsert    catalog.authoring.bulk: revisions, history and outbox follow as for single saves
      -> report    {"summary": {created, updated, unchanged, failed}, "rows": [...]} (CTDL: "records"),
                   a report.Report: the first rows in memory, the rest spooled to a temporary file

A source (`Source`: TableSource here, catalog.ctdl.imports.CtdlSource) maps each record on its own
(`prepare`), then per batch looks up what exists with a few queries and says what to save
(`changes`, a bulk.Change per record) and how to report it (`finish`). `run_batches` does the rest:

- a batch of `batch_size` records is validated first and written with two flushes
  (bulk.write_batch); a record that fails validation changes nothing and the others go on;
- if the batch's write fails in the database (an IntegrityError, ...), the batch is redone one
  record at a time, each in its own savepoint through the ordinary service calls, so only the
  bad record fails;
- every batch is committed, or rolled back on a dry run, which does all the same work and so
  reports what a real run would do while changing nothing (one difference: a provider it would
  create is "created" again in each batch that names it, which the report does not show); the
  session is emptied between batches, so memory stays flat (so do the report, spooled to disk;
  the keys the file has used and the catalog's names, in a temporary SQLite file (diskmap.py);
  and the re-import lookup, asked of the database per batch).

Re-imports match on a stable key: for tables the organization plus `credentials.import_key` (the
source's own id when it has one, otherwise the normalised name and provider), for CTDL the CTID.

Usage (a table-like source only has to produce ImportRecords):

    report = run_import(session, org_id, records, ImportOptions(dry_run=True), kind="ctdl")
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from catalog.accounts import service as accounts
from catalog.authoring import bulk
from catalog.authoring import service as authoring
from catalog.authoring.snapshot import section_snapshot
from catalog.authoring.validation import ValidationError
from catalog.imports import codes
from catalog.imports.codes import CodeBook
from catalog.imports.diskmap import DiskMap
from catalog.imports.normalise import Draft, build_draft
from catalog.imports.records import ImportRecord, Problem, RowResult
from catalog.imports.report import Report
from store.facts import MAX_LENGTH
from store.models import Concept, Credential, Organization, OrgKind, Scheme, Status, User
from store.vocabulary import bound_scheme

log = logging.getLogger(__name__)


@dataclass
class ImportOptions:
    dry_run: bool = False
    publish: bool = False
    create_providers: bool = False
    with_suggested_occupations: bool = False
    batch_size: int = 200
    # False: every record through the ordinary service calls in a savepoint of its own (the
    # reference the bulk path is tested and benchmarked against; also its fallback).
    bulk: bool = True


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


class CachedKnown(authoring.Known):
    """The authoring service's lookups, each code and target asked of the database once per
    import: a batch validates the same few codes again and again."""

    def __init__(self, session: Session):
        super().__init__(session)
        object.__setattr__(self, "_codes", {})
        object.__setattr__(self, "_targets", {})

    def codes(self, vocabulary: str, codes) -> set[str]:
        cache = self._codes.setdefault(vocabulary, {})
        wanted = {c for c in codes if isinstance(c, str)}
        missing = wanted - cache.keys()
        if missing:
            found = super().codes(vocabulary, missing)
            cache.update({code: code in found for code in missing})
        return {c for c in wanted if cache[c]}

    def relation_targets(self, org_id: int, ids) -> dict[int, str]:
        cache = self._targets.setdefault(org_id, {})
        wanted = {i for i in ids if isinstance(i, int)}
        missing = wanted - cache.keys()
        if missing:
            found = super().relation_targets(org_id, missing)
            cache.update({i: found.get(i) for i in missing})
        return {i: cache[i] for i in wanted if cache[i] is not None}


class ImportKnown(CachedKnown):
    """CachedKnown with CIP and occupation codes answered from the code book loaded once per
    import, and providers from the importer's own lookups. (Relation targets are asked of the
    database as batches name them, and cached: preloading every possible target grew with the
    catalog.)"""

    def __init__(self, session: Session, book: CodeBook, orgs: dict):
        super().__init__(session)
        object.__setattr__(self, "book", book)
        object.__setattr__(self, "orgs", orgs)        # id -> (name, kinds), kept current by the importer

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


# --- the engine every source shares ----------------------------------------------------------------


@dataclass
class Pending:
    """A record mapped and checked on its own, waiting for its batch. `key` is what it is matched
    on (two records with the same key never share a batch); `item` is the source's own."""

    key: str
    item: object


class Source:
    """What the pipeline asks of a source; see the module docstring."""

    user: User | None = None
    known: authoring.Known

    def prepare(self, record) -> Pending | dict:
        """Map one record. A dict is its finished (failed) report item."""
        raise NotImplementedError

    def changes(self, pending: list[Pending]) -> list[bulk.Change | None]:
        """What to save for each record, its credential looked up with the batch's; None when the
        record failed already (finish is then told so through the record's own item)."""
        raise NotImplementedError

    def finish(self, pending: Pending, change: bulk.Change | None, error: Exception | None = None) -> dict:
        """The record's report item, after its change was written (or failed with `error`)."""
        raise NotImplementedError

    def remember(self):
        """The lookups a rolled-back write must not leave behind (restore puts them back)."""
        return None

    def restore(self, state) -> None:
        pass

    def close(self) -> None:
        """The import is over: let go of anything held for its length."""


# What a record is expected to fail with (anything else is logged with its traceback, and fails
# only that record too).
RECORD_ERRORS = (ValidationError, authoring.ArchivedError, SQLAlchemyError, ValueError, accounts.AccountError)


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [type(error).__name__])[0][:300]


def _write(session: Session, source: Source, pending: list[Pending], options: ImportOptions) -> list[dict]:
    if options.bulk:
        state = source.remember()
        try:
            with session.begin_nested():
                changes = source.changes(pending)
                bulk.write_batch(session, source.user, [c for c in changes if c is not None], source.known)
            return [source.finish(p, c) for p, c in zip(pending, changes)]
        except Exception as error:  # noqa: BLE001 - the records redone one by one say which failed, and why
            log.info("an import batch failed in the database (%s); redoing it record by record",
                     _first_line(error))
            source.restore(state)
    out = []
    for record in pending:
        state, change = source.remember(), None
        try:
            with session.begin_nested():
                (change,) = source.changes([record])
                if change is not None:
                    bulk.write_each(session, source.user, change, source.known)
        except Exception as error:  # noqa: BLE001 - one bad record must never stop the others
            if not isinstance(error, RECORD_ERRORS):
                log.exception("an import record failed")
            source.restore(state)
            out.append(source.finish(record, change, error))
            continue
        out.append(source.finish(record, change))
    return out


def run_batches(session: Session, source: Source, records: Iterable, options: ImportOptions,
                progress: Callable[[int], None] | None = None) -> Iterator[dict]:
    """Every record's report item, in order (see the module docstring). Commits, or on a dry run
    rolls back, after each batch and empties the session: give it a session of its own."""
    initial, done = source.remember(), 0
    slots: list[Pending | dict] = []
    keys: set[str] = set()

    def close(last: bool = False) -> list[dict]:
        nonlocal done
        pending = [s for s in slots if isinstance(s, Pending)]
        written = iter(_write(session, source, pending, options))
        out = [next(written) if isinstance(s, Pending) else s for s in slots]
        if options.dry_run:
            # Rolled back batch by batch, so the write lock (SQLite) is held only briefly.
            session.rollback()
            source.restore(initial)
        else:
            session.commit()
        if not last:
            session.expunge_all()  # keeps memory flat on large files
        slots.clear()
        keys.clear()
        if progress:
            for n in range(done + 1, done + len(out) + 1):
                progress(n)
        done += len(out)
        return out

    try:
        with authoring.every_code(session):
            for record in records:
                prepared = source.prepare(record)
                if isinstance(prepared, Pending):
                    if prepared.key in keys:  # the same credential twice: the first is written first
                        yield from close()
                    keys.add(prepared.key)
                slots.append(prepared)
                if len(slots) >= options.batch_size:
                    yield from close()
            if slots:
                yield from close(last=True)
    except BaseException:
        session.rollback()
        raise
    finally:
        source.close()
    if options.dry_run:
        session.rollback()
    else:
        session.commit()


# --- spreadsheets (and any source of ImportRecords) -----------------------------------------------


@dataclass
class _Row:
    record: ImportRecord
    draft: Draft
    result: RowResult


class TableSource(Source):
    """ImportRecords for one organization, with lookups loaded once."""

    def __init__(self, session: Session, org: Organization, user: User | None, options: ImportOptions):
        self.session, self.org, self.user, self.options = session, org, user, options
        self.book = load_code_book(session)
        # Plain values, not ORM objects: batches are expunged, so cached objects would go stale.
        self.org_id, self.org_name = org.id, org.name
        self.org_by_id: dict[int, tuple[str, list]] = {
            oid: (name, list(kinds or []))
            for oid, name, kinds in session.execute(select(Organization.id, Organization.name, Organization.kinds))}
        self.orgs: dict[str, tuple[int, list]] = {codes.name_key(name): (oid, kinds)
                                                  for oid, (name, kinds) in self.org_by_id.items()}
        # What a row "leads to" links to a catalog credential of that name (the normalised name, so
        # it cannot be asked of the database): every possible target's name, on disk, since a
        # re-import into a large organization has as many as its file has rows.
        self.catalog_names = DiskMap()
        self.catalog_names.fill((codes.name_key(name), cid) for cid, name in session.execute(
            select(Credential.id, Credential.name).where(or_(
                Credential.status == Status.published.value,
                (Credential.org_id == org.id) & (Credential.status == Status.draft.value)))
            .order_by(Credential.id).execution_options(yield_per=2000)))
        self.known = ImportKnown(session, self.book, self.org_by_id)
        # Keys the file has used (and on which row first), on disk: flat however long the file.
        self.seen = DiskMap()
        self.blank = authoring.new_credential(self.org_id)

    def remember(self):
        # The lookups only ever gain keys, in order: their lengths say what to drop. (Copying
        # them per batch made a 100,000-row import quadratic.)
        return len(self.orgs), len(self.org_by_id)

    def restore(self, state) -> None:
        """Drop what rolled-back records added to the lookups (new providers), keeping which
        keys the file has used (`seen`). Existing credentials are looked up per batch in the
        database, so a rolled-back one is simply not found."""
        for lookup, length in zip((self.orgs, self.org_by_id), state):
            added = [key for key, _ in zip(reversed(lookup), range(len(lookup) - length))]
            for key in added:
                del lookup[key]

    # --- map ------------------------------------------------------------------------------------

    def prepare(self, record: ImportRecord) -> Pending | dict:
        draft = build_draft(record, self.book, self.options.with_suggested_occupations)
        result = RowResult(row=record.row, status="failed", name=draft.name, problems=list(draft.problems),
                           suggested_occupations=draft.suggested_occupations)
        if not draft.name:
            column, value = record.first("name")
            result.problems.append(Problem(column or "name", str(value or ""), "a name is required"))
            return result.as_dict()
        if draft.external_id and len(draft.external_id) > 200:
            result.problems.append(Problem(record.column("external_id"), draft.external_id[:200],
                                           "an external id must be at most 200 characters"))
            return result.as_dict()
        first = self.seen.first(draft.key, record.row)
        if first is not None:
            result.problems.append(Problem(record.column("external_id" if draft.external_id else "name"),
                                           draft.external_id or draft.name,
                                           f"the same record as row {first} (same "
                                           f"{'external id' if draft.external_id else 'name and provider'})"))
            return result.as_dict()
        return Pending(draft.key, _Row(record, draft, result))

    def close(self) -> None:
        self.seen.close()
        self.catalog_names.close()

    # --- what to save ---------------------------------------------------------------------------

    def changes(self, pending: list[Pending]) -> list[bulk.Change | None]:
        # Looked up per batch (the index on org_id, import_key), not preloaded: a preloaded map
        # of every key grew with the catalog and with each created row.
        existing = dict(self.session.execute(
            select(Credential.import_key, Credential.id)
            .where(Credential.org_id == self.org_id, Credential.import_key.in_([p.key for p in pending]))).all())
        ids = list(existing.values())
        loaded = {c.id: c for c in bulk.load_credentials(self.session, Credential.id.in_(ids))} if ids else {}
        return [self._change(p.item, loaded.get(existing.get(p.key))) for p in pending]

    def _change(self, row: _Row, credential: Credential | None) -> bulk.Change:
        record, draft = row.record, row.draft
        mapped = {f for f, _c, _v in record.cells}
        current = credential or self.blank  # a new credential's sections are empty
        if credential is None:
            saves = [{"details": draft.details}]
        else:
            details = section_snapshot(credential, "details")
            for name, sources in _DETAIL_SOURCES.items():
                if mapped & set(sources):
                    details[name] = draft.details[name]
            saves = [{"details": details}]
        if draft.occupations or "occupations" in mapped:
            saves.append({"occupations": draft.occupations})
        if draft.leads_to:
            saves.append({"related": self._related(current, draft)})
        before_write = None
        if draft.provider:
            provider_id = self._provider_id(draft)
            saves.append({"programs": self._programs(current, draft, provider_id)})
            if provider_id is None and self.options.create_providers \
                    and len(draft.provider) <= MAX_LENGTH["provider_name"]:
                def before_write(change: bulk.Change) -> list[dict]:
                    return [*change.saves[:-1], {"programs": self._programs(current, draft, self._create_provider(draft))}]
        columns = {"import_key": draft.key, "external_id": draft.external_id} if credential is None else {}
        return bulk.Change(org_id=self.org_id, credential=credential, saves=saves, columns=columns,
                           publish=self.options.publish, before_write=before_write)

    def _related(self, credential: Credential, draft: Draft) -> list[dict]:
        """The credential's relations plus what the record leads to: a catalog credential when one
        has that name, otherwise an external one with a name and a type."""
        related = section_snapshot(credential, "related")["related"]
        # Names it is already related to, by link or by name: a re-import leaves those alone even
        # if a catalog credential of that name appeared since (the first import may have created
        # it after this row), so importing the same file twice changes nothing.
        have = {codes.name_key(r["name"]) for r in related if r.get("name")}
        linked = [r["credential_id"] for r in related if r.get("credential_id") is not None]
        have |= {codes.name_key(name) for name in (self.known.relation_targets(self.org_id, linked)
                                                   if linked else {}).values()}
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

    def _provider_id(self, draft: Draft) -> int | None:
        """The organization to link as the provider, or None to name it by text."""
        found = self.orgs.get(codes.name_key(draft.provider))
        if found is None:
            return None
        org_id, kinds = found
        # Only the organization itself or an education provider may be linked as a provider
        # (catalog.authoring.service.may_provide); any other issuer is named by text.
        return org_id if org_id == self.org_id or OrgKind.education_provider.value in kinds else None

    def _create_provider(self, draft: Draft) -> int | None:
        """With --create-providers, once the record is valid: the provider as a new education
        provider (or the one an earlier record of the batch created)."""
        if codes.name_key(draft.provider) not in self.orgs:
            org = accounts.create_org(self.session, draft.provider, [OrgKind.education_provider.value])
            self.orgs[codes.name_key(draft.provider)] = (org.id, list(org.kinds))
            self.org_by_id[org.id] = (org.name, list(org.kinds))
        return self._provider_id(draft)

    def _programs(self, credential: Credential, draft: Draft, provider_id: int | None) -> list[dict]:
        program = {**draft.program, "provider_org_id": provider_id,
                   "provider_name": "" if provider_id else draft.program["provider_name"]}
        programs = section_snapshot(credential, "programs")["programs"]
        wanted = codes.name_key(draft.provider)
        for i, current in enumerate(programs):
            named = current["provider_name"] or (self.org_by_id.get(current["provider_org_id"], ("",))[0]
                                                 if current["provider_org_id"] else "")
            if codes.name_key(named) == wanted:
                programs[i] = {**program, "id": current["id"]}
                return programs
        return [*programs, program]

    # --- report ---------------------------------------------------------------------------------

    def finish(self, pending: Pending, change: bulk.Change | None, error: Exception | None = None) -> dict:
        row: _Row = pending.item
        record, draft, result = row.record, row.draft, row.result
        error = error or (change.error if change is not None else None)
        if isinstance(error, ValidationError):
            result.problems.extend(_problems_from(error, record))
        elif isinstance(error, authoring.ArchivedError):
            result.problems.append(Problem(record.column("name"), draft.name, str(error)))
        elif error is not None:
            result.problems.append(Problem("", "", f"could not be saved: {_first_line(error)}"))
        if error is not None:
            return result.as_dict()
        result.problems.extend(Problem("", "", f"left as a draft: {warning}") for warning in change.warnings)
        result.status, result.id = change.status, change.saved.id
        return result.as_dict()


def run_import(session: Session, org_id: int, records: Iterable[ImportRecord], options: ImportOptions,
               user: User | None = None, *, kind: str = "table", source: str = "", mapping: dict | None = None,
               progress: Callable[[int], None] | None = None) -> Report:
    """Apply `records` for organization `org_id` and return the report (see the module docstring
    and catalog.imports.report: its rows beyond the first thousand wait in a temporary file).

    `progress(n)` is called as records are done. A dry run rolls back everything, including the
    providers `create_providers` would add. Give it a session of its own: it commits (or rolls
    back) and expunges the session's objects between batches.
    """
    org = session.get(Organization, org_id)
    if org is None:
        raise ValueError(f"there is no organization {org_id}")
    report = Report({"kind": kind, "source": source, "organization": {"id": org.id, "name": org.name},
                     "dry_run": options.dry_run,
                     "options": {"publish": options.publish, "create_providers": options.create_providers,
                                 "with_suggested_occupations": options.with_suggested_occupations},
                     "mapping": mapping or {}})
    for item in run_batches(session, TableSource(session, org, user, options), records, options, progress):
        report.add(item)
    return report
