"""Reading what CTDL export needs from the database, a batch at a time.

Credentials load through indexer.sources.load_credentials (plain Core queries, one per table), so
exporting 100k credentials keeps memory flat and builds no ORM objects; each batch fetches the
labels, organizations, relation targets and originals it names in one query each.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.ctdl.export import ExportContext, build_credential_record, build_organization_record
from indexer.sources import load_credentials
from store.models import Concept, Credential, CtdlOriginal, Organization, Scheme, Status
from store.vocabulary import bound_scheme

BATCH = 1000  # credentials a batch: bounds memory; larger batches amortise the per-query cost


class NotPublished(Exception):
    """No published credential has this id (drafts and archived ones are not public)."""


def _organizations(session: Session, ids) -> dict[int, SimpleNamespace]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = session.execute(select(Organization.id, Organization.ctid, Organization.name, Organization.kinds,
                                  Organization.website, Organization.location).where(Organization.id.in_(ids)))
    return {row.id: SimpleNamespace(**row._mapping) for row in rows}


def _labels(session: Session, scheme: str, codes: set[str]) -> dict[str, str]:
    """{code: label}, read as two columns: loading whole concepts (their JSON links and alternate
    labels) was a fifth of the export's time."""
    out: dict[str, str] = {}
    codes = sorted(codes)
    for i in range(0, len(codes), 1000):
        out.update(session.execute(select(Concept.code, Concept.label).join(Scheme).where(
            Scheme.name == scheme, Concept.code.in_(codes[i:i + 1000]))).all())
    return out


class LabelCache:
    """Labels of the codes exported so far, per vocabulary, for the life of one export: 100k
    credentials name a few thousand codes, so after the first batches no label query is left."""

    def __init__(self):
        self.schemes: dict[str, str] = {}
        self.labels: dict[str, dict[str, str | None]] = {}

    def get(self, session: Session, vocabulary: str, codes: set[str]) -> dict[str, str]:
        known = self.labels.setdefault(vocabulary, {})
        missing = codes - known.keys()
        if missing:
            if vocabulary not in self.schemes:
                self.schemes[vocabulary] = bound_scheme(session, vocabulary)
            found = _labels(session, self.schemes[vocabulary], missing)
            known.update({code: found.get(code) for code in missing})
        return {code: known[code] for code in codes if known[code] is not None}


def context_for(session: Session, base_uri: str, credentials: list, cache: LabelCache | None = None) -> ExportContext:
    ids = [c.id for c in credentials]
    codes = {
        "occupations": {o.code for c in credentials for o in c.occupations},
        "sectors": {s.code for c in credentials for s in c.sectors},
        "skills": {s.skill_code for c in credentials for s in c.skills},
        "programs": {code for c in credentials for code in (c.cip_codes or [])}
        | {r.external_cip for c in credentials for r in c.relations if r.external_cip}
        | {p.cip_code for c in credentials for p in c.programs if p.cip_code},
    }
    cache = cache or LabelCache()
    labels = {vocabulary: cache.get(session, vocabulary, wanted) for vocabulary, wanted in codes.items()}
    orgs = _organizations(session, {c.org_id for c in credentials}
                          | {p.provider_org_id for c in credentials for p in c.programs})
    targets = {r.target_id for c in credentials for r in c.relations if r.target_id}
    published = dict(session.execute(select(Credential.id, Credential.ctid).where(
        Credential.id.in_(targets), Credential.status == Status.published.value)).all()) if targets else {}
    originals = dict(session.execute(select(CtdlOriginal.credential_id, CtdlOriginal.document)
                                     .where(CtdlOriginal.credential_id.in_(ids))).all()) if ids else {}
    return ExportContext(base_uri, labels, orgs, published, originals)


def published_credential_record(session: Session, base_uri: str, credential_id: int,
                                public_only: bool = True) -> dict:
    """One credential's record; `public_only=False` (an editor's or a test's look) exports a draft too."""
    credential = load_credentials(session, [credential_id]).get(credential_id)
    if credential is None or (public_only and credential.status != Status.published.value):
        raise NotPublished(credential_id)
    return build_credential_record(credential, context_for(session, base_uri, [credential]))


def _published(org_id: int | None):
    query = select(Credential.id).where(Credential.status == Status.published.value)
    return query.where(Credential.org_id == org_id) if org_id else query


def count_published(session: Session, org_id: int | None = None) -> int:
    return session.scalar(select(func.count()).select_from(_published(org_id).subquery()))


def credential_records(session: Session, base_uri: str, org_id: int | None = None,
                       offset: int = 0, limit: int | None = None, batch: int = BATCH) -> Iterator[dict]:
    """Every published credential's record (of one organization), in id order, streamed: a batch
    of ids at a time (keyset: after the last id of the batch before), so neither the ids nor the
    records of the whole catalog are ever held at once. The harvest API (a page: offset and limit)
    and `catalog export ctdl` (everything) both read through here."""
    labels = LabelCache()
    last, remaining = None, limit
    while remaining is None or remaining > 0:
        query = _published(org_id).order_by(Credential.id).limit(batch if remaining is None else min(batch, remaining))
        query = query.offset(offset) if last is None else query.where(Credential.id > last)
        chunk = list(session.scalars(query))
        if not chunk:
            return
        last = chunk[-1]
        remaining = None if remaining is None else remaining - len(chunk)
        credentials = load_credentials(session, chunk)
        views = [credentials[i] for i in chunk if i in credentials and credentials[i].status == Status.published.value]
        ctx = context_for(session, base_uri, views, labels)
        for credential in views:
            yield build_credential_record(credential, ctx)


def organization_records(session: Session, base_uri: str, org_id: int | None = None) -> Iterator[dict]:
    """Organizations that publish something (or the one asked for): private members never leave."""
    query = select(Organization).order_by(Organization.id)
    if org_id:
        query = query.where(Organization.id == org_id)
    else:
        query = query.where(Organization.id.in_(select(Credential.org_id).where(
            Credential.status == Status.published.value)))
    ctx = ExportContext(base_uri)
    for org in session.scalars(query):
        yield build_organization_record(org, ctx)
