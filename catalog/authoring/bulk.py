"""Saving a batch of credentials at once, with the same rows as saving them one at a time.

An import saves thousands of credentials. Through the ordinary service calls each costs a
savepoint and several flushes (one per section save, one per outbox query), which was most of an
import's time. `write_batch` gives the same result with two flushes per batch:

1. validate every change of the batch in Python first (service.clean_sections, the editor's
   rules, answered by the caller's `known` lookups), with autoflush off: a change that fails is
   marked failed and touches nothing, and the others go on;
2. apply the valid ones in memory with the service's own put_* functions, which record each
   save's history entry and outbox events in a `BatchWrites` instead of writing them;
3. flush once (the unit of work inserts the new credentials and changes existing ones), then
   insert the new credentials' link rows, the history entries and the outbox events with one
   executemany per table, and bump the credentials' index versions with one UPDATE per
   distinct count.

So revisions, history entries and outbox events are exactly what the same saves one by one
write (tests/test_imports_bulk.py compares them), and the relay indexes the batch as usual.
A database error (an IntegrityError, ...) propagates: the caller runs the batch in a savepoint
and redoes it one change at a time (catalog.imports.pipeline), so only the bad record fails.

`write_each` applies one change through the ordinary public calls (create_credential,
save_sections, set_status): the reference the tests and the benchmark compare with.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from catalog.authoring import service
from catalog.authoring import validation as v
from catalog.authoring.snapshot import section_snapshot
from store.models import Credential, OutboxEvent, RevisionEntry, Status, User, utcnow
from store.request_ids import current_request_id


@dataclass
class Change:
    """One credential to create or update, as a list of saves (each one revision, as an editor's
    "Save changes" is), then optionally publishing it."""

    org_id: int
    credential: Credential | None          # an existing one, its sections loaded; None creates one
    saves: list[dict]                      # [{section: payload}, ...]; to create, the first is {"details": ...}
    columns: dict = field(default_factory=dict)  # set without a revision: import_key, external_id, ctid
    publish: bool = False
    must_publish: bool = False             # True: a change that cannot be published fails; else it stays a draft
    # Called once the change is valid, before anything is written: may add rows the change needs
    # (a provider organization) and return new saves to use instead (re-validated).
    before_write: Callable[["Change"], list[dict] | None] | None = None
    # Called after the flush with the saved credential: for rows of the caller's that need its id.
    after_write: Callable[[Credential], None] | None = None

    # --- filled in by write_batch / write_each ---
    status: str = ""                       # created, updated, unchanged; "" while failed
    error: Exception | None = None         # ValidationError, ArchivedError, PublishError
    warnings: list[str] = field(default_factory=list)
    saved: Credential | None = None
    _cleaned: list[dict] = field(default_factory=list, repr=False)
    _publishable: bool = False
    _unpublishable: str = ""


class BatchWrites(service.Writes):
    """Collects what each save would write at once (history entries, outbox events, referrers)."""

    def __init__(self) -> None:
        self.entries: list[tuple[Credential, dict]] = []
        self.queued: list[tuple[Credential, int]] = []
        self.renamed: list[Credential] = []

    def entry(self, session: Session, credential: Credential, values: dict) -> None:
        self.entries.append((credential, values))

    def queue(self, session: Session, credential: Credential) -> None:
        self.queued.append((credential, credential.revision))

    def referrers(self, session: Session, credential: Credential) -> None:
        self.renamed.append(credential)

    def write(self, session: Session) -> None:
        """After the flush that gave every credential its id."""
        now = utcnow()
        if self.entries:
            session.execute(insert(RevisionEntry), [
                {"credential_id": credential.id, "created_at": now, **values} for credential, values in self.entries])
        if self.queued:
            # One version per event, as queue_credentials gives each save (the relay writes it as the
            # document's external version).
            counts = Counter(credential.id for credential, _ in self.queued)
            for bump in sorted(set(counts.values())):
                ids = sorted(cid for cid, n in counts.items() if n == bump)
                for start in range(0, len(ids), service.LOOKUP_BATCH):
                    session.execute(update(Credential).where(Credential.id.in_(ids[start:start + service.LOOKUP_BATCH]))
                                    .values(index_version=Credential.index_version + bump)
                                    .execution_options(synchronize_session=False))
            request_id = current_request_id()
            session.execute(insert(OutboxEvent), [
                {"entity": "credential", "entity_id": credential.id, "revision": revision, "request_id": request_id,
                 "state": "pending", "created_at": now, "available_at": now, "attempts": 0, "last_error": ""}
                for credential, revision in self.queued])
            session.info["outbox_dirty"] = True  # wake the relay after the commit (store.outbox)
        for credential in self.renamed:
            service.AT_ONCE.referrers(session, credential)


def _validate(session: Session, change: Change, known: service.Known) -> bool:
    # A new one is made once: validating again (after before_write) keeps it.
    credential = change.credential or change.saved or service.new_credential(change.org_id)
    try:
        if change.credential is not None and credential.status == Status.archived.value:
            raise service.ArchivedError(credential)
        change._cleaned = [service.clean_sections(session, credential, save, known) for save in change.saves]
        change._publishable, change._unpublishable = False, ""
        if change.publish and credential.status != Status.published.value:
            details = next((c["details"] for c in reversed(change._cleaned) if "details" in c),
                           section_snapshot(credential, "details"))
            missing = v.missing_for_publish(details)
            if missing and change.must_publish:
                raise service.PublishError(missing)
            change._unpublishable = service.PublishError(missing).errors["status"] if missing else ""
            change._publishable = not missing
    except (v.ValidationError, service.ArchivedError) as error:
        change.error = error
        return False
    change.saved = credential
    return True


def _put(session: Session, user: User | None, change: Change, writes: service.Writes) -> None:
    credential, created = change.saved, change.credential is None
    before = credential.revision
    for i, cleaned in enumerate(change._cleaned):
        if created and i == 0:
            service.put_created(session, user, credential, cleaned["details"], writes)
        else:
            service.put_sections(session, user, credential, cleaned, writes)
    for name, value in change.columns.items():
        if getattr(credential, name) != value:
            setattr(credential, name, value)
    if change._publishable:
        service.put_status(session, user, credential, Status.published.value, writes)
    elif change._unpublishable:
        change.warnings.append(change._unpublishable)
    change.status = "created" if created else ("unchanged" if credential.revision == before else "updated")


# A credential's collections of rows of its own (link rows, programs, levels).
LINKS = ("occupations", "sectors", "cips", "relations", "skills", "custom_levels", "programs")


def _take_new_links(session: Session, created: list[Credential]) -> dict:
    """The rows that new credentials' collections hold, taken out of the unit of work to be
    inserted with one executemany per table once the credentials have ids: the ORM would insert
    them one statement each, and nothing reads them back before the batch is committed.

    Only the values that were set are taken, so the columns' defaults apply as they would."""
    rows: dict = {}
    for credential in created:
        for attr in LINKS:
            items = credential.__dict__.get(attr)
            if not items:
                continue
            for item in items:
                state = inspect(item)
                columns = {prop.key: prop.columns[0].key for prop in state.mapper.column_attrs}
                values = {columns[key]: value for key, value in state.dict.items()
                          if key in columns and key not in ("id", "credential_id")}
                rows.setdefault(state.mapper.local_table, []).append((credential, values))
                if state.session_id is not None:
                    session.expunge(item)
            set_committed_value(credential, attr, [])
    return rows


def write_batch(session: Session, user: User | None, changes: list[Change], known: service.Known) -> None:
    """Validate all `changes`, then write the valid ones together (see the module docstring).
    Each change ends with `status` set, or `error` set and nothing of it written."""
    writes = BatchWrites()
    with session.no_autoflush:
        valid = [change for change in changes if _validate(session, change, known)]
        ready = []
        for change in valid:
            if change.before_write is not None:
                saves = change.before_write(change)
                if saves is not None:
                    change.saves = saves
                    if not _validate(session, change, known):
                        continue
            ready.append(change)
        for change in ready:
            _put(session, user, change, writes)
        links = _take_new_links(session, [c.saved for c in ready if c.credential is None])
    session.flush()
    for table, rows in links.items():
        session.execute(insert(table), [{"credential_id": credential.id, **values} for credential, values in rows])
    writes.write(session)
    for change in ready:
        if change.after_write is not None:
            change.after_write(change.saved)
    session.flush()


def write_each(session: Session, user: User | None, change: Change, known: service.Known) -> None:
    """The same change through the ordinary public calls, one save at a time (the reference
    write_batch is measured and tested against). Raises what they raise."""
    credential, saves = change.credential, list(change.saves)
    if change.before_write is not None:
        saves = change.before_write(change) or saves
    before = None
    if credential is None:
        credential = service.create_credential(session, user, change.org_id, saves.pop(0)["details"], known)
    else:
        before = credential.revision
    for name, value in change.columns.items():
        if getattr(credential, name) != value:
            setattr(credential, name, value)
    for save in saves:
        service.save_sections(session, user, credential, save, known=known)
    if change.publish and credential.status != Status.published.value:
        try:
            with session.begin_nested():
                service.set_status(session, user, credential, Status.published.value)
        except service.PublishError as error:
            if change.must_publish:
                raise
            change.warnings.append(error.errors["status"])
    session.flush()
    if change.after_write is not None:
        change.after_write(credential)
        session.flush()
    change.saved = credential
    change.status = "created" if before is None else ("unchanged" if credential.revision == before else "updated")


def load_credentials(session: Session, *where) -> list[Credential]:
    """Credentials with every section loaded, in one query per collection (not one per credential)."""
    return list(session.scalars(select(Credential).where(*where).options(
        selectinload(Credential.occupations), selectinload(Credential.sectors), selectinload(Credential.cips),
        selectinload(Credential.relations), selectinload(Credential.skills), selectinload(Credential.custom_levels),
        selectinload(Credential.programs))))
