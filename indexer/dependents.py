"""Which credential documents embed which records: the one map every writer asks.

A credential's search document (indexer/documents.py) shows more than the credential's own row:
its issuer's name, each program's provider, the names of the credentials it links to, and labels
from four vocabularies. When any of those changes, every document that shows it is stale. Writers
say *what* changed (`queue_dependents(session, "organization", {7})`) inside their transaction, and
this map decides which documents to queue through the outbox. No writer works it out by hand.

Each rule names the document fields that show the source, so a test can check that every field
of the document has a rule (tests/test_dependents.py): a new field without one fails there,
instead of going stale until `catalog index verify` notices.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from store.models import (
    Concept,
    Credential,
    CredentialCip,
    CredentialOccupation,
    CredentialRelation,
    CredentialSector,
    CredentialSkill,
    Program,
    Status,
)
from store.outbox import record_change

BATCH = 1000  # keys per IN (...)


@dataclass(frozen=True)
class Rule:
    """Credential documents show `source` records in `fields`; `embedders(keys)` selects their ids."""

    source: str
    fields: tuple[str, ...]
    embedders: Callable[[list], Select]


def _linking(table, column) -> Callable[[list], Select]:
    return lambda codes: select(table.credential_id).where(column.in_(codes))


RULES: tuple[Rule, ...] = (
    # The credential itself: its own columns and children. The authoring service bumps the revision.
    Rule("credential", (
        "id", "revision", "name", "alternate_names", "description", "spelling", "type", "occupation_codes",
        "sector_codes", "skill_codes", "cip_codes", "codes", "keywords", "delivery", "lifecycle", "language",
        "published_at", "updated_at", "display.url", "display.cost", "display.duration", "display.skills",
        "display.programs", "program_text", "display.related", "related_names",
    ), lambda ids: select(Credential.id).where(Credential.id.in_(ids))),
    Rule("organization", ("issuer",), lambda ids: select(Credential.id).where(Credential.org_id.in_(ids))),
    Rule("organization", ("program_text", "display.programs"),
         lambda ids: select(Program.credential_id).where(Program.provider_org_id.in_(ids))),
    # A linked credential shows under its name while it is published, and disappears when it is not.
    Rule("credential", ("related_names", "display.related"),
         lambda ids: select(CredentialRelation.credential_id).where(CredentialRelation.target_id.in_(ids))),
    Rule("occupations", ("occupation_labels", "occupation_terms", "soc_groups", "spelling", "display.occupations"),
         _linking(CredentialOccupation, CredentialOccupation.code)),
    Rule("sectors", ("sector_labels", "sector_roots", "display.sectors"),
         _linking(CredentialSector, CredentialSector.code)),
    Rule("skills", ("skill_labels", "spelling", "display.skills"), _linking(CredentialSkill, CredentialSkill.skill_code)),
    Rule("programs", ("cip_labels", "display.cip"), _linking(CredentialCip, CredentialCip.code)),
    Rule("programs", ("display.related",),
         lambda codes: select(CredentialRelation.credential_id).where(CredentialRelation.external_cip.in_(codes))),
    # SOC 2018 major groups ("29-0000") reach documents through their occupations' `soc_major` link.
    Rule("soc_majors", ("soc_groups",), lambda majors: select(CredentialOccupation.credential_id).where(
        CredentialOccupation.code.in_(select(Concept.code).where(Concept.links["soc_major"].as_string().in_(majors))))),
)

SOURCES = frozenset(rule.source for rule in RULES)


def fields_with_rules() -> set[str]:
    return {field for rule in RULES for field in rule.fields}


def _batches(keys: list) -> Iterable[list]:
    for start in range(0, len(keys), BATCH):
        yield keys[start:start + BATCH]


def stale_credentials(session: Session, source: str, keys: Iterable) -> set[int]:
    """Ids of the published credentials whose documents show any of `keys` of `source`."""
    if source not in SOURCES:
        raise ValueError(f"no dependents rule for {source!r}; known sources: {', '.join(sorted(SOURCES))}")
    keys = sorted(set(keys))
    ids: set[int] = set()
    for rule in RULES:
        if rule.source != source:
            continue
        for batch in _batches(keys):
            ids.update(session.scalars(
                select(Credential.id).where(Credential.status == Status.published.value,
                                            Credential.id.in_(rule.embedders(batch)))
            ))
    return ids


def queue_credentials(session: Session, ids: Iterable[int]) -> int:
    """Queue each credential in `ids` for the relay, with a new version for its document.

    The one way any writer records a credential's outbox event (the authoring service for its own
    saves, this map for dependents, taxonomy imports, `repair`). The version goes up in the same
    transaction as the change, atomically in the database, so a document built from content
    older than this change can never carry its version: the relay reads the version with the
    row before it reads the rest. Returns how many were queued.
    """
    ids = sorted(set(ids))
    count = 0
    for batch in _batches(ids):
        session.execute(update(Credential).where(Credential.id.in_(batch))
                        .values(index_version=Credential.index_version + 1)
                        .execution_options(synchronize_session="fetch"))
        for cid, revision in session.execute(select(Credential.id, Credential.revision).where(Credential.id.in_(batch))):
            record_change(session, "credential", cid, revision)
            count += 1
    return count


def queue_dependents(session: Session, source: str, keys: Iterable, exclude: Iterable[int] = ()) -> int:
    """Queue every published document that shows one of `keys` of `source`; returns how many.

    `exclude` leaves out credentials the caller queues itself (a saved credential queues its own
    event at its new revision).
    """
    return queue_credentials(session, stale_credentials(session, source, keys) - set(exclude))
