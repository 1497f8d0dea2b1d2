"""Loading taxonomies: the bundled schemes from data/taxonomy/, or a scheme from an operator's CSV.

A load reads and checks the whole source first, then applies it in one transaction, so a bad
line changes nothing. Reruns update rows in place and create no duplicates. When a label
changes, every credential that shows that label gets an outbox event so its document is rebuilt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import (
    Concept,
    Credential,
    CredentialOccupation,
    CredentialSector,
    CredentialSkill,
    Scheme,
    Status,
    VocabularyBinding,
)
from store.outbox import record_change
from store.taxonomy_sources import (
    BUNDLED,
    DATA_DIR,
    ConceptRow,
    read_scheme_csv,
)

DEFAULT_BINDINGS = {
    "occupations": "onet-soc",
    "sectors": "naics-2022",
    "programs": "cip-2020",
    "skills": "skills",
}


@dataclass
class ImportResult:
    scheme: str
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    reindex_credentials: int = 0

    def summary(self) -> str:
        return (
            f"{self.scheme}: {self.created} created, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} unchanged"
            + (f"; {self.reindex_credentials} credentials queued for reindex" if self.reindex_credentials else "")
        )


# --- applying a scheme -----------------------------------------------------------------------


def bound_scheme(session: Session, vocabulary: str) -> str:
    binding = session.get(VocabularyBinding, vocabulary)
    return binding.scheme_name if binding else DEFAULT_BINDINGS[vocabulary]


def bind(session: Session, vocabulary: str, scheme_name: str) -> None:
    if vocabulary not in DEFAULT_BINDINGS:
        raise ValueError(f"unknown vocabulary {vocabulary!r}; choose one of {', '.join(DEFAULT_BINDINGS)}")
    if session.scalar(select(Scheme.id).where(Scheme.name == scheme_name)) is None:
        raise ValueError(f"no scheme named {scheme_name!r}; import it first")
    binding = session.get(VocabularyBinding, vocabulary) or VocabularyBinding(vocabulary=vocabulary)
    binding.scheme_name = scheme_name
    session.add(binding)


def apply_scheme(
    session: Session, name: str, title: str, source: str, rows: list[ConceptRow], prune: bool = True
) -> ImportResult:
    scheme = session.scalar(select(Scheme).where(Scheme.name == name))
    if scheme is None:
        scheme = Scheme(name=name, title=title, source=source)
        session.add(scheme)
        session.flush()
    else:
        scheme.title, scheme.source = title, source
    existing = {c.code: c for c in session.scalars(select(Concept).where(Concept.scheme_id == scheme.id))}
    result = ImportResult(name)
    relabelled: set[str] = set()
    for row in rows:
        concept = existing.pop(row.code, None)
        values = dict(label=row.label, alt_labels=row.alt_labels, description=row.description,
                      broader=row.broader, links=row.links)
        if concept is None:
            session.add(Concept(scheme_id=scheme.id, code=row.code, **values))
            result.created += 1
        elif any(getattr(concept, k) != v for k, v in values.items()):
            if concept.label != row.label or concept.alt_labels != row.alt_labels:
                relabelled.add(row.code)
            for k, v in values.items():
                setattr(concept, k, v)
            result.updated += 1
        else:
            result.unchanged += 1
    if prune:
        for concept in existing.values():
            session.delete(concept)
            relabelled.add(concept.code)
        result.deleted = len(existing)
    if relabelled:
        result.reindex_credentials = _queue_affected_credentials(session, name, relabelled)
    return result


def _queue_affected_credentials(session: Session, scheme_name: str, codes: set[str]) -> int:
    """Outbox events for published credentials whose documents show one of `codes`."""
    vocabularies = [v for v in DEFAULT_BINDINGS if bound_scheme(session, v) == scheme_name]
    ids: set[int] = set()
    published = Credential.status == Status.published.value
    link_tables = {"occupations": CredentialOccupation, "sectors": CredentialSector}
    for vocabulary in vocabularies:
        if vocabulary in link_tables:
            table = link_tables[vocabulary]
            ids.update(session.scalars(
                select(Credential.id).join(table, table.credential_id == Credential.id)
                .where(published, table.code.in_(codes))
            ))
        elif vocabulary == "skills":
            ids.update(session.scalars(
                select(Credential.id).join(CredentialSkill, CredentialSkill.credential_id == Credential.id)
                .where(published, CredentialSkill.skill_code.in_(codes))
            ))
        elif vocabulary == "programs":
            for cid, cips in session.execute(select(Credential.id, Credential.cip_codes).where(published)):
                if codes.intersection(cips or []):
                    ids.add(cid)
    if scheme_name == "soc-2018":
        majors = {c for c in codes if c.endswith("-0000")}
        if majors:
            ids.update(session.scalars(
                select(Credential.id).join(CredentialOccupation, CredentialOccupation.credential_id == Credential.id)
                .where(published)
                .where(CredentialOccupation.code.in_(
                    select(Concept.code).where(Concept.links["soc_major"].as_string().in_(majors))
                ))
            ))
    for cid, revision in session.execute(select(Credential.id, Credential.revision).where(Credential.id.in_(ids))):
        record_change(session, "credential", cid, revision)
    return len(ids)


def import_bundled(session: Session, names: Iterable[str] | None = None, data_dir: Path = DATA_DIR) -> list[ImportResult]:
    """Load the bundled schemes, each in its own transaction, and set default bindings."""
    results = []
    for name in names or BUNDLED:
        spec = BUNDLED[name]
        rows = spec.read(data_dir)
        results.append(apply_scheme(session, spec.name, spec.title, spec.source, rows))
        session.commit()
    for vocabulary, scheme_name in DEFAULT_BINDINGS.items():
        if session.get(VocabularyBinding, vocabulary) is None and scheme_name in BUNDLED:
            session.add(VocabularyBinding(vocabulary=vocabulary, scheme_name=scheme_name))
    session.commit()
    return results


def import_csv(session: Session, name: str, path: Path, title: str = "") -> ImportResult:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,63}", name):
        raise ValueError(f"scheme name {name!r} must be 2-64 lowercase letters, digits, '-' or '_'")
    if name in BUNDLED:
        raise ValueError(f"{name!r} is a bundled scheme; import a file under a new name and bind it")
    rows = read_scheme_csv(path)
    result = apply_scheme(session, name, title or name, f"file {path.name}", rows)
    session.commit()
    return result


def concept_labels(session: Session, scheme_name: str, codes: Iterable[str]) -> dict[str, Concept]:
    codes = list(set(codes))
    if not codes:
        return {}
    return {
        c.code: c
        for c in session.scalars(
            select(Concept).join(Scheme).where(Scheme.name == scheme_name, Concept.code.in_(codes))
        )
    }
