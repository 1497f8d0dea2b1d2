"""Reading rows for indexing: concepts for the vocabularies, published credentials in batches.

Credentials stream with `yield_per`, and the concepts each batch refers to are fetched in one
query per vocabulary, so memory stays flat however many credentials there are.
"""
from __future__ import annotations

from collections import Counter
from itertools import islice
from types import SimpleNamespace
from typing import Iterable, Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from indexer.documents import Lookups, build_concept_document, build_credential_document, crosswalk_entry
from store.models import (
    Concept,
    Credential,
    CredentialCip,
    CredentialOccupation,
    CredentialRelation,
    CredentialSector,
    CredentialSkill,
    Organization,
    Program,
    Scheme,
    Status,
)
from store.vocabulary import bound_scheme, concept_labels

BATCH = 500

# Each editor vocabulary's link table and its code column: where a credential names a concept.
VOCABULARY_LINKS = {
    "occupations": (CredentialOccupation, CredentialOccupation.code),
    "sectors": (CredentialSector, CredentialSector.code),
    "skills": (CredentialSkill, CredentialSkill.skill_code),
    "programs": (CredentialCip, CredentialCip.code),
}


def credential_counts(session: Session, vocabulary: str) -> Counter:
    """Published credentials per concept code; autocomplete breaks ties with it."""
    published = Credential.status == Status.published.value
    table, column = VOCABULARY_LINKS[vocabulary]
    rows = session.execute(
        select(column, func.count()).join(Credential, Credential.id == table.credential_id)
        .where(published).group_by(column)
    )
    return Counter(dict(rows.all()))


def concept_actions(session: Session, vocabulary: str) -> Iterator[dict]:
    scheme_name = bound_scheme(session, vocabulary)
    scheme_id = session.scalar(select(Scheme.id).where(Scheme.name == scheme_name))
    if scheme_id is None:
        raise LookupError(f"scheme {scheme_name!r} for {vocabulary} is not loaded; run `catalog taxonomy import`")
    counts = credential_counts(session, vocabulary)
    labels = dict(session.execute(select(Concept.code, Concept.label).where(Concept.scheme_id == scheme_id)).all())
    cips = programs_by_soc(session) if vocabulary == "occupations" else {}
    occupations = occupations_by_soc(session) if vocabulary == "programs" else {}
    for concept in session.scalars(select(Concept).where(Concept.scheme_id == scheme_id).order_by(Concept.id)).yield_per(1000):
        crosswalk = [entry for soc in (concept.links or {}).get("soc", []) for entry in occupations.get(soc, [])]
        doc = build_concept_document(concept, scheme_name, counts.get(concept.code, 0),
                                     labels.get(concept.broader or "", ""), cips.get(concept.code[:7], []),
                                     crosswalk)
        yield {"_id": concept.code, "_source": doc}


def occupations_by_soc(session: Session) -> dict[str, list[dict]]:
    """{SOC code: crosswalk entries of the occupations in it}: O*NET splits some SOC codes
    (29-1141.00 to .04), and the CIP-SOC crosswalk names the SOC code."""
    scheme_name = bound_scheme(session, "occupations")
    out: dict[str, list[dict]] = {}
    for concept in session.scalars(select(Concept).join(Scheme).where(Scheme.name == scheme_name).order_by(Concept.code)):
        out.setdefault(concept.code[:7], []).append(crosswalk_entry(concept))
    return out


def programs_by_soc(session: Session) -> dict[str, list[str]]:
    """{SOC code: CIP codes} from the CIP-SOC crosswalk that the programmes scheme carries."""
    scheme_name = bound_scheme(session, "programs")
    out: dict[str, list[str]] = {}
    rows = session.execute(select(Concept.code, Concept.links).join(Scheme).where(Scheme.name == scheme_name))
    for code, links in rows:
        for soc in (links or {}).get("soc", []):
            out.setdefault(soc, []).append(code)
    return out


class LookupLoader:
    """Loads the concepts a batch of credentials needs, remembering them for later batches.

    A full reindex meets the same few thousand concepts again and again; caching them for the
    life of the loader (one reindex, one relay batch) keeps concept queries off the hot path.
    Sectors load whole, because a sector's root needs its ancestors.
    """

    def __init__(self, session: Session):
        self.session = session
        self.schemes = {v: bound_scheme(session, v) for v in ("occupations", "sectors", "skills", "programs")}
        sector_scheme = self.schemes["sectors"]
        self.sectors = {
            c.code: c for c in session.scalars(select(Concept).join(Scheme).where(Scheme.name == sector_scheme))
        }
        self._cache: dict[str, dict[str, Concept]] = {"occupations": {}, "skills": {}, "programs": {}}

    def _lookup(self, key: str, scheme: str, codes: set[str]) -> dict[str, Concept]:
        cache = self._cache[key]
        missing = codes - cache.keys()
        if missing:
            cache.update(concept_labels(self.session, scheme, missing))
            for code in missing - cache.keys():
                cache[code] = None  # unknown code: remember that too
        return {code: cache[code] for code in codes if cache.get(code) is not None}

    def for_batch(self, credentials: list[SimpleNamespace]) -> Lookups:
        occ_codes = {o.code for c in credentials for o in c.occupations}
        skill_codes = {k.skill_code for c in credentials for k in c.skills}
        cip_codes = {code for c in credentials for code in (c.cip_codes or [])}
        cip_codes |= {r.external_cip for c in credentials for r in c.relations if r.external_cip}
        return Lookups(
            occupations=self._lookup("occupations", self.schemes["occupations"], occ_codes),
            sectors=self.sectors,
            skills=self._lookup("skills", self.schemes["skills"], skill_codes),
            programs=self._lookup("programs", self.schemes["programs"], cip_codes),
        )


def load_credentials(session: Session, ids: Iterable[int]) -> dict[int, SimpleNamespace]:
    """Read-only views of credentials, with everything a search document is built from.

    Each view has the credential's columns plus `organization.name`, `occupations`, `sectors` and
    `cips` (`.code`; `cip_codes` lists them as on the model), `skills` (`.skill_code`, `.min_level`, `.acquired_level`), `programs` (columns plus
    `provider_display`) and `relations` (columns plus `target`: id, name and status, or None).
    Plain Core queries, one per table, instead of ORM objects: a full rebuild reads every
    published credential, and building ORM instances was half of its Python time.

    The credential rows (with `index_version` and the issuer's name) are read first, the rest
    after: on PostgreSQL each statement sees the latest commits, so later reads can only be
    newer than the version, and a document is never older than the version it is written with.
    """
    ids = list(ids)
    if not ids:
        return {}
    credentials = {
        row.id: SimpleNamespace(**row._mapping, organization=SimpleNamespace(name=row.org_name),
                                occupations=[], sectors=[], cips=[], skills=[], programs=[], relations=[])
        for row in session.execute(
            select(Credential.__table__, Organization.name.label("org_name"))
            .join(Organization, Organization.id == Credential.org_id).where(Credential.id.in_(ids))
        )
    }

    def children(table, order, attr: str, extra=(), join=None, view=lambda row: row):
        query = select(table.__table__, *extra).where(table.credential_id.in_(ids)).order_by(order)
        if join is not None:
            query = query.outerjoin(*join)
        for row in session.execute(query):
            getattr(credentials[row.credential_id], attr).append(view(row))

    children(CredentialOccupation, CredentialOccupation.position, "occupations")
    children(CredentialSector, CredentialSector.position, "sectors")
    children(CredentialCip, CredentialCip.position, "cips")
    for credential in credentials.values():
        credential.cip_codes = [link.code for link in credential.cips]
    children(CredentialSkill, CredentialSkill.position, "skills")
    provider = aliased(Organization)
    children(Program, Program.id, "programs", extra=[provider.name.label("provider_org_name")],
             join=(provider, provider.id == Program.provider_org_id),
             view=lambda row: SimpleNamespace(**row._mapping,
                                              provider_display=row.provider_org_name or row.provider_name))
    target = aliased(Credential)
    children(CredentialRelation, CredentialRelation.id, "relations",
             extra=[target.name.label("target_name"), target.status.label("target_status")],
             join=(target, target.id == CredentialRelation.target_id),
             view=lambda row: SimpleNamespace(**row._mapping, target=None if row.target_id is None else
                                              SimpleNamespace(id=row.target_id, name=row.target_name,
                                                              status=row.target_status)))
    return credentials


def published_credential_ids(session: Session) -> Iterator[tuple[int, int]]:
    """(id, index_version) of every published credential, streamed: what `verify` compares."""
    query = select(Credential.id, Credential.index_version).where(Credential.status == Status.published.value)
    yield from session.execute(query.order_by(Credential.id).execution_options(yield_per=5000))


def credential_actions(session: Session, batch: int = BATCH) -> Iterator[dict]:
    """Bulk actions for every published credential, built batch by batch."""
    loader = LookupLoader(session)
    ids = (cid for cid, _ in published_credential_ids(session))
    while chunk := list(islice(ids, batch)):
        credentials = load_credentials(session, chunk)
        lookups = loader.for_batch(list(credentials.values()))
        for cid in chunk:
            credential = credentials.get(cid)
            if credential is None or credential.status != Status.published.value:
                continue
            yield index_action(credential, lookups)


def index_action(credential: SimpleNamespace, lookups: Lookups) -> dict:
    return {
        "_id": str(credential.id),
        "_version": credential.index_version,
        "_version_type": "external_gte",
        "_source": build_credential_document(credential, lookups),
    }
