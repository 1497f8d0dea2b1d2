"""One record's cells -> the sections the authoring service saves (the pipeline's "map" step).

Values that cannot be read are left out and reported as problems on the row, which still goes
in: a typo in one of three O*NET codes should not keep a programme out of the catalog. Only what
the authoring service itself refuses (no name, a name too long, ...) fails a row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from catalog.imports import codes
from catalog.imports.codes import CodeBook, ValueProblem
from catalog.imports.records import ImportRecord, Problem


@dataclass
class Draft:
    """A record made ready for the authoring service."""

    name: str
    key: str
    external_id: str | None
    details: dict
    occupations: list[str]
    suggested_occupations: list[str]
    leads_to: list[str]
    provider: str
    program: dict
    problems: list[Problem] = field(default_factory=list)


def _shown(value) -> str:
    return str(value if value is not None else "")[:200]


def import_key(external_id: str | None, name: str, provider: str) -> str:
    """The stable key a re-import matches on within the organization."""
    if external_id:
        return f"id:{external_id}"[:400]
    return f"name:{codes.name_key(name)}|{codes.name_key(provider)}"[:400]


def _codes(record: ImportRecord, field_name: str, read, book: CodeBook, problems: list[Problem]) -> list[str]:
    """Every code in `field_name`'s cells (several per cell, several columns), read with `read`, each once,
    in order; a code that cannot be read is a problem naming its column and the code as written."""
    found: list[str] = []
    for column, raw in record.values(field_name):
        for part in codes.split_codes(raw):
            try:
                found.extend(c for c in read(part, book) if c not in found)
            except ValueProblem as problem:
                problems.append(Problem(column, _shown(part), str(problem)))
    return found


def build_draft(record: ImportRecord, book: CodeBook, with_suggested: bool = False) -> Draft:
    problems: list[Problem] = []

    def read(name: str, convert, default=None):
        column, raw = record.first(name)
        if codes.is_blank(raw):
            return default
        try:
            return convert(raw)
        except ValueProblem as problem:
            problems.append(Problem(column, _shown(raw), str(problem)))
            return default

    name = codes.text(record.first("name")[1])
    provider = codes.text(record.first("provider")[1])
    external_id = codes.text(record.first("external_id")[1]) or None

    cips = _codes(record, "cip", codes.cip_code, book, problems)
    occupations = _codes(record, "occupations", codes.occupation_code, book, problems)
    suggested = []
    if with_suggested:
        suggested = [c for c in codes.suggested_occupations(cips, book) if c not in occupations]
        occupations += suggested

    cost = None
    for column, raw in record.values("cost"):
        try:
            amount = codes.money(raw)
        except ValueProblem as problem:
            problems.append(Problem(column, _shown(raw), str(problem)))
            continue
        if amount is not None:
            cost = (cost or Decimal("0")) + amount
    if cost is not None and cost >= Decimal("1e10"):
        problems.append(Problem(record.column("cost"), _shown(cost), "the total must be below 10 billion"))
        cost = None

    length = (read("duration_hours", lambda v: codes.duration(v, "hours"))
              or read("duration_weeks", lambda v: codes.duration(v, "weeks"))
              or read("duration_months", lambda v: codes.duration(v, "months"))
              or read("duration", codes.duration))
    url = read("url", codes.url, "")
    mode = read("delivery_mode", codes.delivery_mode, "")

    description = codes.text(record.first("description")[1])
    prerequisites = codes.text(record.first("prerequisites")[1])
    if prerequisites and codes.key(prerequisites) not in {"none", "no", "0"}:
        description = f"{description}\n\nPrerequisites: {prerequisites}".strip()

    leads_to: list[str] = []
    for _column, raw in record.values("leads_to"):
        for part in (raw if isinstance(raw, (list, tuple)) else [raw]):
            title = codes.text(part)
            # ETPL cells hold "0", "Yes", "None" where no credential was named.
            if title and any(ch.isalpha() for ch in title) and codes.key(title) not in {"none", "yes", "no"} \
                    and codes.key(title) != codes.key(name) and title.casefold() not in map(str.casefold, leads_to):
                leads_to.append(title[:300])

    location = ", ".join(p for p in (codes.text(record.first(f)[1]) for f in ("location", "city", "state")) if p)
    keywords = [codes.text(v) for _c, raw in record.values("keywords")
                for v in (raw if isinstance(raw, (list, tuple)) else str(raw or "").split(";")) if codes.text(v)]

    details = {
        "name": name,
        "description": description,
        "credential_type": read("credential_type", codes.credential_type, ""),
        "url": url,
        "cip_codes": cips[:20],
        "cost": {"amount": None if cost is None else f"{cost:.2f}", "currency": "USD", "note": ""},
        "duration": {"value": length[0], "unit": length[1]} if length else {"value": None, "unit": ""},
        "delivery_mode": mode,
        "keywords": keywords[:50],
        "language": codes.text(record.first("language")[1]) or "en",
        "lifecycle": codes.lifecycle(record.first("status")[1]),
    }
    program = {
        "name": name,
        "provider_name": provider[:200],
        "url": url,
        "delivery_mode": mode,
        "duration": {"value": length[0], "unit": length[1]} if length else {},
        "cost": None if cost is None else f"{cost:.2f}",
        "location": location[:200],
        "cip": cips[0] if cips else "",
    }
    return Draft(name=name, key=import_key(external_id, name, provider), external_id=external_id,
                 details=details, occupations=occupations[:100], suggested_occupations=suggested,
                 leads_to=leads_to, provider=provider, program=program, problems=problems)
