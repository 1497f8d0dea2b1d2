"""Suggestions from the crosswalks, for the editor: skills for the occupations a credential names,
occupations for its CIP programmes, programmes for its occupations.

Each item is `{"id", "label", "kind", "scheme", "score", "because": [...]}`, best first. `because`
says in words why it is suggested: "essential for welder, pipe welder (Welders, Cutters, Solderers,
and Brazers)", "importance 4.2 of 5 for Registered Nurses", "from CIP 51.3801 Registered Nursing".
Codes are checked against the loaded schemes first, so a typo gets a message, not an empty list.
Nothing here adds anything to a credential: the editor's click does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from opensearchpy import OpenSearch
from sqlalchemy.orm import Session

from indexer import suggest as queries
from indexer.documents import feature_key
from store.vocabulary import bound_scheme, concept_labels

OCCUPATION_CODE = re.compile(r"\d{2}-\d{4}\.\d{2}")
CIP_CODE = re.compile(r"\d{2}\.\d{4}")
MAX_CODES = 20
DEFAULT_SIZE = 20
KIND_OF = {"occupations": "occupation", "programs": "program"}


class SuggestionInputError(ValueError):
    """Codes that cannot be suggested from; the message says which and why."""


@dataclass(frozen=True)
class Target:
    """One suggestion endpoint: the codes it takes (from which vocabulary), and what it returns."""

    name: str
    takes: str          # the vocabulary the given codes belong to
    parameter: str      # the query parameter that carries them
    pattern: re.Pattern
    example: str
    returns: str        # the vocabulary it suggests from


TARGETS = {
    "skills": Target("skills", "occupations", "occupation", OCCUPATION_CODE, "51-4121.00", "skills"),
    "occupations": Target("occupations", "programs", "cip", CIP_CODE, "51.3801", "occupations"),
    "programs": Target("programs", "occupations", "occupation", OCCUPATION_CODE, "29-1141.00", "programs"),
}


def check_codes(session: Session, target: Target, codes: Iterable[str]) -> dict[str, str]:
    """{code: label} for the given codes, in order and without repeats, or SuggestionInputError."""
    codes = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not codes:
        raise SuggestionInputError(f"give at least one {target.parameter} code, e.g. {target.parameter}={target.example}")
    if len(codes) > MAX_CODES:
        raise SuggestionInputError(f"at most {MAX_CODES} {target.parameter} codes, not {len(codes)}")
    malformed = [c for c in codes if not target.pattern.fullmatch(c)]
    if malformed:
        raise SuggestionInputError(f"{target.parameter} code {malformed[0][:40]!r} is not in the form {target.example}")
    known = concept_labels(session, bound_scheme(session, target.takes), codes)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise SuggestionInputError(f"unknown {target.parameter} code {unknown[0]!r}")
    return {code: known[code].label for code in codes}


def because_skill(why: str, occupation: str) -> str:
    """'e:welder|pipe welder|+2' for Welders... -> 'essential for welder, pipe welder and 2 more (Welders...)'."""
    kind, _, rest = why.partition(":")
    names = [n for n in rest.split("|") if not n.startswith("+")]
    more = next((n[1:] for n in rest.split("|") if n.startswith("+")), "")
    listed = ", ".join(names) + (f" and {more} more" if more else "")
    if kind == "e":
        return f"essential for {listed} ({occupation})"
    if kind == "o":
        return f"optional for {listed} ({occupation})"
    if kind == "i":
        return f"importance {rest} of 5 for {occupation}"
    if kind == "t":
        return f"needed in {rest} task{'s' * (rest != '1')} of {occupation}"
    if kind == "u":
        return f"{occupation} use {listed}"
    return occupation


def suggest(session: Session, client: OpenSearch, index_prefix: str, target_name: str, codes: Iterable[str],
            size: int = DEFAULT_SIZE, exclude: Iterable[str] = (), timeout: float | None = None) -> list[dict]:
    """Ranked suggestions; SuggestionInputError for bad codes, opensearchpy errors when search fails."""
    target = TARGETS[target_name]
    given = check_codes(session, target, codes)
    size = max(1, min(int(size), queries.MAX_SIZE))
    if target.name == "skills":
        body = queries.skills_for_occupations(list(given), size, exclude)
    elif target.name == "occupations":
        body = queries.occupations_for_programs(list(given), size, exclude)
    else:
        body = queries.programs_for_occupations(list(dict.fromkeys(code[:7] for code in given)), size, exclude)
    hits = queries.run_suggestions(client, index_prefix, target.returns, body, timeout)
    return [_item(target, hit, given) for hit in hits]


def _item(target: Target, hit: dict, given: dict[str, str]) -> dict:
    src = hit["_source"]
    if target.name == "skills":
        whys = src.get("suggest_why") or {}
        because = [because_skill(whys[feature_key(code)], label) for code, label in given.items()
                   if feature_key(code) in whys]
    elif target.name == "occupations":
        because = [f"from CIP {code} {label}" for code, label in given.items() if code in (src.get("cips") or [])]
    else:
        because = [f"leads to {label} ({code})" for code, label in given.items() if code[:7] in (src.get("socs") or [])]
    return {"id": src.get("code", hit["_id"]), "label": src.get("label", ""),
            "kind": src.get("kind") or KIND_OF.get(target.returns, ""), "scheme": src.get("scheme", ""),
            "score": round(hit.get("_score") or 0.0, 3), "because": because}


class LinkedSkills:
    """Skills for occupations ranked from the database alone, the way the index ranks them (the sum
    of their weights, then skills before tools, then shorter labels): for demo data and operators'
    scripts that run before the index is built. Loads the skills' links once."""

    KIND_RANK = {"skill": 0, "knowledge": 1, "activity": 2, "technology": 3, "tool": 4, "ability": 5}

    def __init__(self, session: Session):
        from sqlalchemy import select

        from store.models import Concept, Scheme

        scheme = bound_scheme(session, "skills")
        self.rows = [(code, label, links.get("kind", ""), links["occupations"]) for code, label, links in session.execute(
            select(Concept.code, Concept.label, Concept.links).join(Scheme).where(Scheme.name == scheme))
            if (links or {}).get("occupations")]
        self.by_label = {label: code for code, label, _, _ in self.rows}

    def ranked(self, occupations: list[str], size: int = 10, kinds: tuple[str, ...] = ("skill", "knowledge")) -> list[str]:
        scored = []
        for code, label, kind, weights in self.rows:
            if kind not in kinds:
                continue
            score = sum(weights[o][0] for o in occupations if o in weights)
            if score:
                scored.append((-score, self.KIND_RANK.get(kind, 9), len(label), code))
        return [code for *_, code in sorted(scored)[:size]]
