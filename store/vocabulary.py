"""Which scheme each editor vocabulary uses, and looking concepts up by code.

Readers only: loading schemes is a domain operation (catalog.taxonomy), because a relabel must
queue the credentials that show the old label.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Concept, Scheme, VocabularyBinding

DEFAULT_BINDINGS = {
    "occupations": "onet-soc",
    "sectors": "naics-2022",
    "programs": "cip-2020",
    "skills": "skills",
}


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
