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

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from indexer.dependents import queue_credentials, stale_credentials
from store.models import Concept, Scheme, VocabularyBinding
from store.taxonomy_sources import BUNDLED, DATA_DIR, ConceptRow, read_scheme_csv
from store.vocabulary import DEFAULT_BINDINGS, bound_scheme


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

INSERT_BATCH = 2000


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
    new: list[dict] = []
    for row in rows:
        concept = existing.pop(row.code, None)
        values = dict(label=row.label, alt_labels=row.alt_labels, description=row.description,
                      broader=row.broader, links=row.links)
        if concept is None:
            new.append(dict(scheme_id=scheme.id, code=row.code, **values))
            result.created += 1
        elif any(getattr(concept, k) != v for k, v in values.items()):
            if concept.label != row.label or concept.alt_labels != row.alt_labels:
                relabelled.add(row.code)
            for k, v in values.items():
                setattr(concept, k, v)
            result.updated += 1
        else:
            result.unchanged += 1
    # One multi-row INSERT instead of an ORM object per concept: the skills scheme has ~29,000.
    for start in range(0, len(new), INSERT_BATCH):
        session.execute(insert(Concept), new[start:start + INSERT_BATCH])
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
    ids: set[int] = set()
    for vocabulary in DEFAULT_BINDINGS:
        if bound_scheme(session, vocabulary) == scheme_name:
            ids |= stale_credentials(session, vocabulary, codes)
    if scheme_name == "soc-2018":
        ids |= stale_credentials(session, "soc_majors", {c for c in codes if c.endswith("-0000")})
    return queue_credentials(session, ids)


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


