"""Documents: what OpenSearch stores for a concept and for a published credential.

These are pure functions of already-loaded rows, so they are unit-tested without any service.
A credential document carries only public fields; contributor notes never get here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections import Counter
from itertools import zip_longest

from store.models import Concept

from indexer.codes import code_variants


# Skills first, tools last, when both match the same way ("welding": the skill before the torch).
KIND_RANK = {"skill": 0, "knowledge": 1, "activity": 2, "technology": 3, "tool": 4, "ability": 5}


def feature_key(code: str) -> str:
    """An occupation code as a rank_features key: OpenSearch reads a dot in a key as a path."""
    return code.replace(".", "_")


# A programme is also found through the occupations it leads to (their titles and alternate titles,
# searched at a lower weight than its own). A few occupations have hundreds of alternate titles; the
# first ones (short titles such as "CNA" come first) say enough about what the programme is for.
MAX_CROSSWALK_ALT_TITLES = 60
# ... and, weighted lower still, through the software and technology those occupations use (O*NET
# Technology Skills, hot technologies first: store.taxonomy_sources.read_technology).
MAX_PROGRAM_TECHNOLOGY = 60


# A technology says what a programme is about only when many of its occupations use it: SolidWorks
# is a drafter's tool, not a writing programme's, though technical writers use it too.
MIN_TECHNOLOGY_SHARE = 1 / 3


def shared_technology(crosswalk: list[dict]) -> list[str]:
    """The technologies at least MIN_TECHNOLOGY_SHARE of the crosswalked occupations use, the most
    shared first, then in turns (each occupation's most used first), at most MAX_PROGRAM_TECHNOLOGY."""
    users = Counter(name for entry in crosswalk for name in set(entry.get("technology", [])))
    order: dict[str, int] = {}  # where each first comes up, in turns
    for turn in zip_longest(*(entry.get("technology", []) for entry in crosswalk)):
        for name in turn:
            if name:
                order.setdefault(name, len(order))
    kept = [name for name, count in users.items() if count >= MIN_TECHNOLOGY_SHARE * len(crosswalk)]
    return sorted(kept, key=lambda name: (-users[name], order[name]))[:MAX_PROGRAM_TECHNOLOGY]


def crosswalk_entry(occupation: Concept) -> dict:
    """What a programme document keeps of an occupation it leads to (see `crosswalk` below)."""
    return {"code": occupation.code, "label": occupation.label,
            "alt": list((occupation.alt_labels or [])[:MAX_CROSSWALK_ALT_TITLES]),
            "technology": list((occupation.links or {}).get("technology") or [])}


def build_concept_document(concept: Concept, scheme: str, credential_count: int = 0,
                           broader_label: str = "", cips: list[str] | None = None,
                           crosswalk: list[dict] | None = None) -> dict:
    """A vocabulary entry. Skills add what they are and where they come from, and the occupations
    they suit (`suggest_weights`, `suggest_why`: see store.skill_sources); occupations add the CIP
    programmes that lead to them (`cips`), programmes the SOC codes they lead to (`socs`) and those
    occupations themselves (`crosswalk`, entries from crosswalk_entry), whose titles and alternate
    titles autocomplete searches (`occupation_titles`, `occupation_alt_titles`) and names in its
    "how it matched" line ("via Nursing Assistants"). Occupations and programmes also carry the
    names of credentials that prepare for them (`credential_names`: "CompTIA Security+")."""
    links = concept.links or {}
    detail = links.get("level") or links.get("kind") or ""
    occupations = links.get("occupations") or {}
    doc = {
        "id": concept.code,
        "code": concept.code,
        "code_norm": code_variants(concept.code),
        "scheme": scheme,
        "label": concept.label,
        "alt_labels": concept.alt_labels or [],
        "description": concept.description or "",
        "broader": concept.broader,
        "broader_label": broader_label,
        "detail": detail,
        "credential_count": credential_count,
        "label_length": len(concept.label),
        "kind": links.get("kind") or None,
        "kind_rank": KIND_RANK.get(links.get("kind"), 0),
        "source": links.get("source") or None,
        "source_id": links.get("source_id") or None,
        "hidden_labels": list(links.get("hidden_labels") or []),
        "suggest_weights": {feature_key(code): value[0] for code, value in occupations.items()},
        "suggest_why": {feature_key(code): value[1] for code, value in occupations.items()},
        "cips": list(cips or []),
        "socs": list(links.get("soc") or []),
    }
    if links.get("credential_names"):  # occupations and programmes (store.taxonomy_sources)
        doc["credential_names"] = list(links["credential_names"])
    if crosswalk:  # programmes only: the other families' mappings have no such fields
        doc["occupation_titles"] = [entry["label"] for entry in crosswalk]
        doc["occupation_alt_titles"] = [alt for entry in crosswalk for alt in entry["alt"]]
        doc["occupation_technology"] = shared_technology(crosswalk)
        doc["crosswalk"] = [{k: v for k, v in entry.items() if k != "technology"} for entry in crosswalk]
    return doc


# --- credentials -------------------------------------------------------------------------------

# Alternate titles let "RN" find nursing credentials. A few catch-all occupations have thousands
# ("Production Workers, All Other": 2,750); past a couple of hundred they only bloat documents.
MAX_TERMS_PER_OCCUPATION = 200



@dataclass
class Lookups:
    """Concepts a batch of credentials refers to, keyed by code, loaded once per batch."""

    occupations: dict = field(default_factory=dict)
    sectors: dict = field(default_factory=dict)
    skills: dict = field(default_factory=dict)
    programs: dict = field(default_factory=dict)


def _label(lookup: dict, code: str) -> str:
    concept = lookup.get(code)
    return concept.label if concept is not None else code


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def build_credential_document(credential, lookups: Lookups) -> dict:
    """The public search document of a credential: no notes, no draft-only data."""
    occupations = [o.code for o in credential.occupations]
    sectors = [s.code for s in credential.sectors]
    skills = list(credential.skills)
    cips = list(credential.cip_codes or [])

    occupation_terms: list[str] = []
    soc_groups: list[str] = []
    for code in occupations:
        concept = lookups.occupations.get(code)
        if concept is not None:
            occupation_terms.extend((concept.alt_labels or [])[:MAX_TERMS_PER_OCCUPATION])
            major = (concept.links or {}).get("soc_major")
            if major and major not in soc_groups:
                soc_groups.append(major)
    sector_roots = []
    for code in sectors:
        root = _sector_root(code, lookups.sectors)
        if root not in sector_roots:
            sector_roots.append(root)

    related = []
    for rel in credential.relations:
        if rel.target is not None:
            if rel.target.status != "published":
                continue
            related.append({"kind": rel.kind, "id": rel.target.id, "name": rel.target.name})
        else:
            related.append({"kind": rel.kind, "cip": rel.external_cip, "type": rel.external_type,
                            "name": rel.external_name,
                            "cip_label": _label(lookups.programs, rel.external_cip) if rel.external_cip else ""})

    programs = [
        {"name": p.name, "provider": p.provider_display, "provider_id": p.provider_org_id, "url": p.url,
         "delivery": p.delivery_mode, "location": p.location, "cip": p.cip_code,
         "duration_value": p.duration_value, "duration_unit": p.duration_unit,
         "cost": float(p.cost_amount) if p.cost_amount is not None else None}
        for p in credential.programs
    ]
    codes = set()
    for code in occupations + soc_groups + sectors + sector_roots + cips:
        codes.update(code_variants(code))

    return {
        "id": str(credential.id),
        "revision": credential.revision,
        "name": credential.name,
        "alternate_names": list(credential.alternate_names or []),
        "description": credential.description,
        "spelling": " ".join([credential.name, *(credential.alternate_names or []),
                              *[_label(lookups.occupations, c) for c in occupations],
                              *[_label(lookups.skills, s.skill_code) for s in skills]]),
        "type": credential.credential_type,
        "issuer": {"id": str(credential.org_id), "name": credential.organization.name},
        "occupation_codes": occupations,
        "occupation_labels": [_label(lookups.occupations, c) for c in occupations],
        "occupation_terms": occupation_terms,
        "soc_groups": soc_groups,
        "sector_codes": sectors,
        "sector_roots": sector_roots,
        "sector_labels": [_label(lookups.sectors, c) for c in sectors],
        "skill_codes": [s.skill_code for s in skills],
        "skill_labels": [_label(lookups.skills, s.skill_code) for s in skills],
        "cip_codes": cips,
        "cip_labels": [_label(lookups.programs, c) for c in cips],
        "codes": sorted(codes),
        "program_text": " ".join(f"{p['name']} {p['provider']} {p['location']}" for p in programs),
        "related_names": [r["name"] for r in related if r.get("name")],
        "keywords": list(credential.keywords or []),
        "delivery": credential.delivery_mode or None,
        "lifecycle": credential.lifecycle,
        "language": credential.language,
        "published_at": _iso(credential.published_at),
        "updated_at": _iso(credential.updated_at),
        "display": {
            "url": credential.url,
            "cost": {"amount": float(credential.cost_amount) if credential.cost_amount is not None else None,
                     "currency": credential.cost_currency, "note": credential.cost_note},
            "duration": {"value": credential.duration_value, "unit": credential.duration_unit},
            "occupations": [{"code": c, "label": _label(lookups.occupations, c)} for c in occupations],
            "sectors": [{"code": c, "label": _label(lookups.sectors, c)} for c in sectors],
            "skills": [{"code": s.skill_code, "label": _label(lookups.skills, s.skill_code),
                        "min_level": s.min_level, "acquired_level": s.acquired_level} for s in skills],
            "cip": [{"code": c, "label": _label(lookups.programs, c)} for c in cips],
            "programs": programs,
            "related": related,
        },
    }


def _sector_root(code: str, sectors: dict) -> str:
    """Walk `broader` links up to the top of the sector scheme (NAICS `62`, `31-33`, ...)."""
    seen = set()
    concept = sectors.get(code)
    while concept is not None and concept.broader and concept.broader not in seen:
        seen.add(concept.broader)
        parent = sectors.get(concept.broader)
        if parent is None:
            return concept.broader
        concept = parent
    return concept.code if concept is not None else code
