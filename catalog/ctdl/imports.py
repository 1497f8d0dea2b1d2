"""Importing CTDL credential records: map, validate, upsert through the authoring service, report.

The CTDL import is a source of the shared import pipeline (catalog.imports.pipeline.run_batches),
so it gets its batches, bulk writes (catalog.authoring.bulk) and fallback; every write goes
through the authoring service's rules, so revisions, history, the outbox and the index follow:

    read (sources.py) -> map (map_record, pure but for code lookups) -> CtdlSource: look the batch
    up by CTID, validate, upsert -> report {"summary": {created, updated, unchanged, failed}, "records": [...]}

- Idempotent: a record is matched by its CTID, in either letter case; importing it again updates
  that credential (or leaves it unchanged) and never creates a second one.
- Lossless: the record as received, the nodes of its graph and which list items were mapped are
  kept in `ctdl_originals`; export merges back whatever we do not model (export.merge_original).
- Codes are normalised to our schemes (frameworks.py); a code that maps to nothing is reported,
  and a name without a code is matched with autocomplete and reported as a suggestion only.
- Connections come back as export writes them (_map_skills, _map_relations, _map_programs):
  skills with their levels, required and related credentials (catalog ones by CTID, external `_:`
  nodes), education programs with their provider. A profile or node is mapped only when export
  would give it back exactly; anything else stays in the kept original.
- A record that fails leaves nothing behind and stops nothing else. `dry_run` rolls every batch
  back and reports what would have happened.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from types import SimpleNamespace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.authoring import bulk, service
from catalog.authoring import validation as v
from catalog.authoring.snapshot import section_snapshot
from catalog.authoring.levels import DEFAULT_LEVELS, merged_scale
from catalog.ctdl import export, reading
from catalog.ctdl.frameworks import CANDIDATES, lang_map
from catalog.ctdl.reading import ALIGNMENTS, C, as_list, text_of
from catalog.ctdl.sources import Incoming
from catalog.ctdl.types import compact_type, stored_type
from catalog.imports import pipeline
from catalog.imports.report import Report
from catalog.imports.diskmap import DiskMap
from store.ctids import normalise_ctid
from store.facts import CREDENTIAL_TYPES
from store.models import Concept, Credential, CtdlOriginal, CustomLevel, Organization, Scheme, Status
from store.vocabulary import bound_scheme

# (vocabulary, text) -> {"code", "label"} or None: autocomplete's best match for a free-text alignment.
log = logging.getLogger(__name__)

Suggester = Callable[[str, str], "dict | None"]


class ImportRefused(Exception):
    """The whole import cannot run (no such organization, ...)."""


@dataclass
class Plan:
    """What one record says, in our sections."""

    ctid: str | None
    details: dict
    occupations: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    required_ctids: list[str] = field(default_factory=list)
    mapped: dict[str, list[int]] = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)
    # Read back from what export writes (docs/ctdl.md): each mapped skill's levels
    # {code: {"min_level", "acquired_level"}}, the "related" section's items (catalog credentials
    # by id, external ones by cip/type/name) and the "programs" section's items. CtdlSource saves
    # them through related_section, programs_section and skills_section.
    skill_levels: dict[str, dict] = field(default_factory=dict)
    related: list[dict] = field(default_factory=list)
    programs: list[dict] = field(default_factory=list)
    path: str = "$"  # the record's JSON path in its file, for problems found while saving

    def problem(self, path: str, reason: str, level: str = "error") -> None:
        self.problems.append({"path": path, "reason": reason, "level": level})

    @property
    def failed(self) -> bool:
        return any(p["level"] == "error" for p in self.problems)


def _known(session: Session, vocabulary: str, codes: Iterable[str]) -> set[str]:
    """Which of `codes` exist, remembered for the session: an import meets the same codes again and
    again, and a query per alignment list was most of its lookups."""
    cache = session.info.setdefault("ctdl_known_codes", {}).setdefault(vocabulary, {})
    codes = set(codes)
    missing = codes - cache.keys()
    if missing:
        found = service.Known(session).codes(vocabulary, missing)
        cache.update({code: code in found for code in missing})
    return {code for code in codes if cache[code]}


def map_record(session: Session, incoming: Incoming, suggest: Suggester | None = None) -> Plan:
    record, base = incoming.record or {}, incoming.path or "$"
    raw_ctid = record.get(C + "ctid")
    plan = Plan(ctid=normalise_ctid(raw_ctid), details=reading.read_details(record), path=base)
    if raw_ctid is None:
        plan.problem(f"{base}.ceterms:ctid", "missing: every record needs a CTID (ce- and a UUID) to be matched on")
    elif plan.ctid is None:
        plan.problem(f"{base}.ceterms:ctid", f"{str(raw_ctid)[:60]!r} is not a CTID (ce- and a UUID)")
    for key in (C + "name", C + "description", C + "alternateName", C + "keyword"):
        value = record.get(key)
        if value is not None and not isinstance(value, (str, dict, list)):
            plan.problem(f"{base}.{key}", f"must be a language map such as {{\"en-US\": \"...\"}}, not {type(value).__name__}")
    if not plan.details["name"]:
        plan.problem(f"{base}.ceterms:name", "missing: a credential needs a name")
    _map_type(record, plan, base)
    for i, cost in enumerate(as_list(record.get(C + "estimatedCost"))):
        raw = cost.get(C + "currency") if isinstance(cost, dict) else None
        if raw is not None and reading.currency_code(raw) is None:
            plan.problem(f"{base}.ceterms:estimatedCost[{i}].ceterms:currency",
                         f"{str(raw)[:40]!r} is not an ISO 4217 currency code; read as USD", "warning")
        elif isinstance(raw, str) and reading.currency_code(raw) != raw:
            plan.problem(f"{base}.ceterms:estimatedCost[{i}].ceterms:currency",
                         f"{raw!r} read as {reading.currency_code(raw)}", "info")

    for prop, vocabulary in ALIGNMENTS.items():
        value = record.get(prop)
        if value is not None and not isinstance(value, (list, dict)):
            plan.problem(f"{base}.{prop}", f"must be a list of alignment objects, not {type(value).__name__}")
            continue
        codes = _map_alignments(session, record, prop, vocabulary, plan, base, suggest)
        if vocabulary == "programs":
            plan.details["cip_codes"] = codes
        else:
            setattr(plan, vocabulary, codes)
    flat = [c for c in as_list(record.get(C + "naics")) if isinstance(c, str)]
    if flat:
        known = _known(session, "sectors", flat)
        for i, code in enumerate(flat):
            if code.strip() in known and code.strip() not in plan.sectors:
                plan.sectors.append(code.strip())
            elif code.strip() not in known:
                plan.problem(f"{base}.ceterms:naics[{i}]", f"NAICS code {code!r} is not in NAICS 2022; kept as written",
                             "warning")

    _map_skills(session, record, plan, base)
    graph = Graph(session, incoming.nodes, reading.record_language(record), plan)
    _map_relations(record, plan, base, graph)
    _map_programs(record, plan, base, graph)
    return plan


def _map_skills(session: Session, record: dict, plan: Plan, base: str) -> None:
    prop, language = C + "requires", reading.record_language(record)
    custom_scale = None
    for i, profile in enumerate(as_list(record.get(prop))):
        if not isinstance(profile, dict):
            continue
        codes = reading.competency_codes(profile)
        if codes is None:
            continue
        known = _known(session, "skills", codes)
        if not set(codes) <= known:
            plan.problem(f"{base}.{prop}[{i}]", "competencies not in our skills vocabulary ("
                         + ", ".join(sorted(set(codes) - known))[:200] + "); kept as written", "warning")
            continue
        levels = reading.competency_levels(profile, language)
        named = {level for level in (levels or {}).values() if level}
        if named <= set(DEFAULT_LEVELS):  # custom levels keep the default ones in their order
            scale = list(DEFAULT_LEVELS)
        else:
            custom_scale = custom_scale or _level_scale(session, plan.ctid)
            scale = custom_scale
        why = _levels_problem(profile, levels, scale, language)
        if why:
            plan.problem(f"{base}.{prop}[{i}]", f"{why}; the competencies are kept as written", "warning")
            continue
        for code in codes:
            if code not in plan.skills:
                plan.skills.append(code)
                plan.skill_levels[code] = levels
        plan.mapped.setdefault(prop, []).append(i)


def _level_scale(session: Session, ctid: str | None) -> list[str]:
    """The experience levels a re-imported credential knows: the default scale with its custom levels."""
    custom = session.execute(select(CustomLevel.name, CustomLevel.position).join(Credential).where(
        Credential.ctid == ctid)).all() if ctid else []
    return merged_scale([(name, position) for name, position in custom])


def _levels_problem(profile: dict, levels: dict | None, scale: list[str], language: str) -> str | None:
    """Why a competency profile's name and experience cannot be read as our skill levels, or None."""
    if levels is None:
        return "its name or experience is not one level name"
    for prop, field_name in reading.SKILL_LEVELS.items():
        level = levels[field_name]
        if level and level not in scale:
            return f"{prop} {level[:60]!r} is not an experience level here ({', '.join(scale)})"
        if level and profile.get(prop) != lang_map(level, language):
            return f"{prop} is not one text in the record's language"
    if levels["min_level"] and levels["acquired_level"] and \
            scale.index(levels["acquired_level"]) < scale.index(levels["min_level"]):
        return "the level it shows is below the experience it needs"
    return None


class Graph:
    """The other nodes of a record's graph, and what mapping them needs: code labels, and the
    catalog's credentials and organizations by CTID, each looked up once."""

    def __init__(self, session: Session, nodes: list[dict], language: str, plan: Plan):
        self.session, self.language, self.plan = session, language, plan
        self.nodes = {n["@id"]: (i, n) for i, n in enumerate(nodes) if isinstance(n, dict) and isinstance(n.get("@id"), str)}
        self.ctx = export.ExportContext("urn:import:")

    def node(self, ref) -> tuple[int, dict] | tuple[None, None]:
        return self.nodes.get(ref, (None, None)) if isinstance(ref, str) and ref.startswith("_:") else (None, None)

    def cip(self, alignments) -> str | None:
        """The CIP code of a node's one instructionalProgramType ("" for none; None: unusable)."""
        items = as_list(alignments)
        if not items:
            return ""
        code = items[0].get(C + "codedNotation") if len(items) == 1 and isinstance(items[0], dict) else None
        if not isinstance(code, str) or not _known(self.session, "programs", {code}):
            return None
        labels = self.session.info.setdefault("ctdl_program_labels", {})  # an import meets the same codes often
        if code not in labels:
            labels[code] = self.session.scalar(select(Concept.label).join(Scheme).where(
                Scheme.name == bound_scheme(self.session, "programs"), Concept.code == code)) or code
        self.ctx.labels.setdefault("programs", {})[code] = labels[code]
        return code

    def published_credential(self, ctid: str) -> int | None:
        return self.session.scalar(select(Credential.id).where(Credential.ctid == ctid,
                                                               Credential.status == Status.published.value))

    def organization(self, ctid: str | None = None, name: str | None = None):
        """The one organization with this CTID, or this name in any letter case (remembered for the
        session: an import names the same few providers again and again)."""
        key = ("ctid", ctid) if ctid else ("name", (name or "").strip().lower())
        found = self.session.info.setdefault("ctdl_organizations", {})
        if key not in found:
            query = select(Organization.id, Organization.ctid, Organization.name)
            query = query.where(Organization.ctid == ctid) if ctid else query.where(
                func.lower(Organization.name) == key[1])
            rows = self.session.execute(query.limit(2)).all()
            found[key] = rows[0] if len(rows) == 1 else None
        if found[key] is not None:
            self.ctx.organizations[found[key].id] = SimpleNamespace(ctid=found[key].ctid)
        return found[key]


def _without(node: dict, *keys: str) -> dict:
    return {k: v for k, v in node.items() if k not in ("@id", *keys)}


def _ours(profile, text: str, target: str, language: str) -> bool:
    """Is `profile` a condition profile exactly as export writes it (`text`, then targets)?"""
    return isinstance(profile, dict) and set(profile) == {"@type", C + "description", target} and \
        profile["@type"] == "ceterms:ConditionProfile" and profile[C + "description"] == lang_map(text, language) \
        and isinstance(profile[target], list) and bool(profile[target])


def _map_relations(record: dict, plan: Plan, base: str, graph: Graph) -> None:
    """Condition profiles of credentials, as export writes them: each target is a catalog
    credential (its URI; published here) or a `_:` node of the graph (an external credential, with
    its type, name and CIP code). A profile with anything else stays as written."""
    for kind, (prop, text) in export.RELATION_PROFILES.items():
        for i, profile in enumerate(as_list(record.get(prop))):
            if not _ours(profile, text, C + "targetCredential", graph.language):
                continue
            items, consumed, why = [], [], None
            for target in profile[C + "targetCredential"]:
                index, node = graph.node(target)
                if node is not None:
                    item = _external_credential(node, kind, graph)
                    why = None if item else f"the credential {target} says more than a type, name and CIP code"
                    consumed.append(index)
                elif isinstance(target, str) and target.startswith("_:"):
                    item, why = None, f"{target} is not a node of the record's graph"
                else:
                    ctid = reading.ctid_of(target)
                    found = graph.published_credential(ctid) if ctid and ctid != plan.ctid else None
                    item = {"kind": kind, "credential_id": found} if found else None
                    why = None if found else f"{str(target)[:120]} is not a published credential of this catalog"
                if item is None:
                    break
                items.append(item)
            if why is None and len({_relation_key(r) for r in items}) < len(items):
                why = "a credential is named twice"
            if why:
                plan.problem(f"{base}.{prop}[{i}]", f"{why}; the profile is kept as written", "info")
                continue
            plan.related.extend(r for r in items if _relation_key(r) not in {_relation_key(o) for o in plan.related})
            plan.mapped.setdefault(prop, []).append(i)
            plan.mapped.setdefault(export.GRAPH_NODES, []).extend(consumed)


def _relation_key(item: dict) -> tuple:
    return (item["kind"], item.get("credential_id"), item.get("cip"), item.get("type"),
            "" if item.get("cip") else (item.get("name") or "").casefold())


def _external_credential(node: dict, kind: str, graph: Graph) -> dict | None:
    """An external credential from its `_:` node, if that node says nothing else (export would
    give it back as it is)."""
    ctdl_type = node.get("@type")
    ours, exact = stored_type(ctdl_type) if isinstance(ctdl_type, str) else ("", False)
    cip = graph.cip(node.get(C + "instructionalProgramType"))
    if not exact or cip is None:
        return None
    name = text_of(node.get(C + "name"), graph.language)
    # Export names a credential without a name after its type.
    stored_name = "" if cip and name == CREDENTIAL_TYPES[ours] else name
    rendered = export.external_credential_node(graph.plan.ctid or "", kind, cip, ours, stored_name, graph.ctx,
                                               graph.language)
    if _without(rendered) != _without(node):
        return None
    return {"kind": kind, "cip": cip, "type": ours, "name": stored_name}


def _map_programs(record: dict, plan: Plan, base: str, graph: Graph) -> None:
    """Education programs: a preparationFrom profile of `_:` learning-opportunity nodes, each
    offered by a catalog organization (by CTID) or a provider named in a `_:` organization node
    (matched to a catalog organization by name when exactly one has it)."""
    prop = C + "preparationFrom"
    for i, profile in enumerate(as_list(record.get(prop))):
        if not _ours(profile, export.PROGRAMS_TEXT, C + "targetLearningOpportunity", graph.language):
            continue
        programs, consumed = [], []
        for target in profile[C + "targetLearningOpportunity"]:
            index, node = graph.node(target)
            program = _program(node, graph, consumed) if node is not None else None
            if program is None:
                plan.problem(f"{base}.{prop}[{i}]", f"the learning opportunity {str(target)[:120]} says more than "
                             "an education program here holds; the profile is kept as written", "info")
                break
            programs.append(program)
            consumed.append(index)
        else:
            plan.programs.extend(programs)
            plan.mapped.setdefault(prop, []).append(i)
            plan.mapped.setdefault(export.GRAPH_NODES, []).extend(consumed)


def _program(node: dict, graph: Graph, consumed: list[int]) -> dict | None:
    if node.get("@type") != "ceterms:LearningOpportunityProfile":
        return None
    language = graph.language
    offered = as_list(node.get(C + "offeredBy"))
    provider_id, provider_name = None, ""
    if len(offered) != 1:
        return None
    index, provider = graph.node(offered[0])
    if provider is not None:
        provider_name = text_of(provider.get(C + "name"), language)
        if _without(provider) != _without(export.provider_node("", provider_name, language)):
            return None
        found = graph.organization(name=provider_name)
        provider_id = found.id if found else None
        provider_name = "" if found else provider_name
        consumed.append(index)
    else:
        found = graph.organization(ctid=reading.ctid_of(offered[0])) if reading.ctid_of(offered[0]) else None
        if found is None:
            return None
        provider_id = found.id
    cip = graph.cip(node.get(C + "instructionalProgramType"))
    details = reading.read_details(node)
    place = next((p for p in as_list(node.get(C + "availableAt")) if isinstance(p, dict)), {})
    program = {"provider_org_id": provider_id, "provider_name": provider_name,
               "name": details["name"], "url": details["url"], "delivery_mode": details["delivery_mode"],
               "duration": details["duration"], "cost": details["cost"]["amount"],
               "location": text_of(place.get(C + "name"), language), "cip": cip}
    if cip is None or not program["name"]:
        return None
    view = SimpleNamespace(**program, duration_value=program["duration"]["value"],
                           duration_unit=program["duration"]["unit"], cost_amount=program["cost"], cip_code=cip)
    rendered = export.program_node("", "", view, graph.ctx, language)
    if _without(rendered, C + "offeredBy") != _without(node, C + "offeredBy"):
        return None
    return program


# --- what CtdlSource saves of the new Plan fields ---------------------------------------------------


def skills_section(credential: Credential, plan: Plan) -> dict:
    """The skills payload: the record's skills with their levels; the credential's custom levels stay."""
    current = section_snapshot(credential, "skills")
    kept = {s["skill_id"]: s for s in current["items"]}
    items = [{"skill_id": code, **plan.skill_levels[code]} if code in plan.skill_levels else
             kept.get(code) or {"skill_id": code} for code in plan.skills]
    return {"custom_levels": current["custom_levels"], "items": items}


def related_section(session: Session, credential: Credential, plan: Plan) -> list[dict]:
    """The record's relations, in the credential's current order where it had them. Links to its
    organization's drafts (which export leaves out, as they are not public) stay."""
    current = section_snapshot(credential, "related")["related"]
    linked = {r.target_id for r in credential.relations if r.target_id is not None}
    hidden = linked - set(session.scalars(select(Credential.id).where(
        Credential.id.in_(linked), Credential.status == Status.published.value))) if linked else set()
    pending = {_relation_key(r): r for r in plan.related}
    ordered = []
    for item in current:
        key = _relation_key(item)
        if key in pending:
            ordered.append(pending.pop(key))
        elif item.get("credential_id") in hidden:
            ordered.append(item)
    return [*ordered, *pending.values()]


def programs_section(session: Session, credential: Credential, plan: Plan) -> list[dict]:
    """The record's programs, keeping the id of each current program it names again (same name and
    provider), so that a re-import changes nothing. A provider organization that may not be named
    as one here (catalog.authoring.service.may_provide) is named by its name instead, with a warning."""
    current = section_snapshot(credential, "programs")["programs"]
    named = {p["provider_org_id"] for p in plan.programs if p["provider_org_id"]}
    names, allowed = service.Known(session).providers(credential.org_id, named)
    out = []
    for program in plan.programs:
        program = dict(program)
        if program["provider_org_id"] and program["provider_org_id"] not in allowed:
            plan.problem(f"{plan.path}.ceterms:preparationFrom",
                         f"{names.get(program['provider_org_id'])} is not an education provider; "
                         f"the program {program['name']!r} names it as text", "warning")
            program["provider_org_id"], program["provider_name"] = None, names.get(program["provider_org_id"], "")
        same = [c for c in current if _program_key(c) == _program_key(program)]
        exact = [c for c in same if {**c, "id": None} == {**program, "id": None}]
        match = (exact or same or [None])[0]
        if match is not None:
            current.remove(match)
            program["id"] = match["id"]
        out.append(program)
    return out


def _program_key(program: dict) -> tuple:
    return program["name"], program.get("provider_org_id"), program.get("provider_name") or ""


def _map_type(record: dict, plan: Plan, base: str) -> None:
    types = [t for t in as_list(record.get("@type")) if isinstance(t, str)]
    if not types:
        plan.problem(f"{base}.@type", "missing: give the credential's CTDL class, e.g. ceterms:Certification")
        return
    ours, exact = stored_type(types[0])
    if not ours:
        plan.problem(f"{base}.@type", f"{types[0]} has no credential type of ours; choose one in the editor before "
                     "publishing", "warning")
    elif not exact:
        plan.problem(f"{base}.@type", f"{compact_type(types[0])} is imported as {ours} (its nearest type here); the "
                     "original type is kept for export", "warning")


def _map_alignments(session: Session, record: dict, prop: str, vocabulary: str, plan: Plan, base: str,
                    suggest: Suggester | None) -> list[str]:
    items = reading.alignments(record, prop)
    wanted = {}
    for i, item in items:
        code = item.get(C + "codedNotation")
        if isinstance(code, str) and code.strip():
            wanted[i] = CANDIDATES[vocabulary](code, reading.is_old_edition(item))
    known = _known(session, vocabulary, {c for candidates in wanted.values() for c in candidates})
    out: list[str] = []
    for i, item in items:
        path = f"{base}.{prop}[{i}]"
        if i in wanted:
            code = item[C + "codedNotation"].strip()
            match = next((c for c in wanted[i] if c in known), None)
            if match is None:
                plan.problem(path, f"code {code!r} maps to nothing in our {vocabulary} scheme; kept as written", "warning")
                continue
            if match != code:
                plan.problem(path, f"code {code!r} normalised to {match}", "info")
            if match not in out:
                out.append(match)
            plan.mapped.setdefault(prop, []).append(i)
            continue
        name = text_of(item.get(C + "targetNodeName"))
        if not name:
            continue
        found = suggest(vocabulary, name) if suggest else None
        if found:
            plan.problem(path, f"no code; {name!r} may be {found['code']} {found.get('label', '')!r} "
                               "(a suggestion, not assigned)", "suggestion")
        else:
            plan.problem(path, f"no code for {name!r}; kept as written", "warning")
    return out


# --- upserting: a source of the shared import pipeline ----------------------------------------------


@dataclass
class _Record:
    incoming: Incoming
    plan: Plan
    error: Exception | None = None   # found while looking the credential up (another organization's, ...)
    original_changed: bool = False


def _failed(item: Incoming, problems: list[dict], ctid: str | None = None) -> dict:
    return {"ctid": ctid, "id": None, "status": "failed", "problems": problems, "source": item.where}


class CtdlSource(pipeline.Source):
    """CTDL records for one organization, matched by CTID (catalog.imports.pipeline does the rest)."""

    def __init__(self, session: Session, org: Organization, publish: bool, suggest: Suggester | None):
        self.session, self.org_id, self.org_name = session, org.id, org.name
        self.publish, self.suggest = publish, suggest
        self.known = pipeline.CachedKnown(session)
        self.seen = DiskMap()  # CTID -> where its last copy came from, on disk (see catalog.imports.diskmap)
        self.blank = service.new_credential(org.id)

    def prepare(self, item: Incoming) -> pipeline.Pending | dict:
        if item.error:
            return _failed(item, [{"path": item.path or "$", "reason": item.error, "level": "error"}])
        plan = Plan(normalise_ctid((item.record or {}).get(C + "ctid")), {})
        try:
            plan = map_record(self.session, item, self.suggest)
        except Exception as exc:  # noqa: BLE001 - one bad record must never stop the others
            log.exception("CTDL import of %s failed", item.where)
            return _failed(item, [*plan.problems, _could_not(item, exc)], plan.ctid)
        earlier = self.seen.get(plan.ctid) if plan.ctid else None
        if earlier is not None:
            plan.problem(f"{item.path}.ceterms:ctid", f"the same CTID came earlier in this import "
                         f"({earlier}); this later copy wins", "warning")
        if plan.failed:
            return _failed(item, plan.problems, plan.ctid)
        if plan.ctid:
            self.seen.put(plan.ctid, item.where)
        return pipeline.Pending(plan.ctid, _Record(item, plan))

    def close(self) -> None:
        self.seen.close()

    def changes(self, pending: list[pipeline.Pending]) -> list[bulk.Change | None]:
        # CTIDs are stored lower case (minted so, and map_record normalises), so the unique index answers.
        found = {c.ctid: c for c in bulk.load_credentials(self.session, Credential.ctid.in_([p.key for p in pending]))}
        ids = [c.id for c in found.values()]
        originals = {o.credential_id: o for o in self.session.scalars(
            select(CtdlOriginal).where(CtdlOriginal.credential_id.in_(ids)))} if ids else {}
        return [self._change(p.item, found.get(p.key), originals) for p in pending]

    def _change(self, record: _Record, credential: Credential | None, originals: dict) -> bulk.Change | None:
        plan, org_name = record.plan, self.org_name
        if credential is not None and credential.org_id != self.org_id:
            record.error = v.ValidationError({"ceterms:ctid": f"{plan.ctid} is a credential of another organization "
                                                              f"({credential.organization.name}); it cannot be "
                                                              f"imported into {org_name}"})
            return None
        if credential is not None and credential.status == Status.archived.value:
            record.error = v.ValidationError({"ceterms:ctid": f"{plan.ctid} is archived here; unarchive it before "
                                                              "importing it again"})
            return None
        created = credential is None
        current = credential or self.blank
        details = plan.details if created else {**section_snapshot(credential, "details"), **plan.details}
        saves = [{"details": details}]
        # A new credential has no links yet: empty sections need no save.
        if plan.occupations or not created:
            saves.append({"occupations": plan.occupations})
        if plan.sectors or not created:
            saves.append({"sectors": plan.sectors})
        if plan.skills or not created:
            saves.append({"skills": skills_section(current, plan)})
        if plan.related or not created:
            saves.append({"related": related_section(self.session, current, plan)})
        if plan.programs or not created:
            saves.append({"programs": programs_section(self.session, current, plan)})
        document = {"record": record.incoming.record, "nodes": record.incoming.nodes, "mapped": plan.mapped}
        original = originals.get(credential.id) if credential is not None else None

        def keep_original(saved: Credential) -> None:
            """The record as received, for export to merge back (lossless)."""
            if original is None:
                self.session.add(CtdlOriginal(credential_id=saved.id, document=document))
                record.original_changed = not created  # an editor-made credential now keeps its original
            elif original.document != document:
                original.document = document
                record.original_changed = True

        return bulk.Change(org_id=self.org_id, credential=credential, saves=saves,
                           columns={"ctid": plan.ctid} if created else {}, publish=self.publish, must_publish=True,
                           after_write=keep_original)

    def finish(self, pending: pipeline.Pending, change: bulk.Change | None, error: Exception | None = None) -> dict:
        record: _Record = pending.item
        item, plan = record.incoming, record.plan
        # A batch redone record by record plans the record twice: say each problem once.
        plan.problems = list({(p["path"], p["reason"], p["level"]): p for p in plan.problems}.values())
        error = error or record.error or (change.error if change is not None else None)
        if isinstance(error, v.ValidationError):
            return _failed(item, [*plan.problems, *(
                {"path": ".".join(filter(None, [item.path or "$", _ctdl_path(name)])), "reason": message,
                 "level": "error"} for name, message in error.errors.items())], plan.ctid)
        if error is not None:
            return _failed(item, [*plan.problems, _could_not(item, error)], plan.ctid)
        status = "updated" if change.status == "unchanged" and record.original_changed else change.status
        return {"ctid": plan.ctid, "id": change.saved.id, "status": status, "problems": plan.problems,
                "source": item.where}


def _could_not(item: Incoming, exc: Exception) -> dict:
    return {"path": item.path or "$", "reason": f"could not be saved: {type(exc).__name__}: {exc}"[:500], "level": "error"}


def run_import(session: Session, org: Organization, incoming: Iterable[Incoming], *, dry_run: bool = False,
               publish: bool = False, suggest: Suggester | None = None,
               progress: Callable[[int], None] | None = None, batch_size: int = 200, bulk_writes: bool = True) -> Report:
    """Import every record through the shared pipeline (catalog.imports.pipeline.run_batches):
    committed batch by batch, or on a dry run rolled back. `progress(n)` is called as records are
    done, as the shared import jobs expect. `bulk_writes=False` saves one record at a time
    through the ordinary service calls (the reference the benchmark compares with)."""
    options = pipeline.ImportOptions(dry_run=dry_run, publish=publish, batch_size=batch_size, bulk=bulk_writes)
    # Its rows are "records"; beyond the first thousand they wait in a temporary file.
    report = Report({"organization": {"id": org.id, "name": org.name}, "dry_run": dry_run}, rows_key="records")
    for entry in pipeline.run_batches(session, CtdlSource(session, org, publish, suggest), incoming, options, progress):
        report.add(entry)
    return report


# Our validation's field names -> the CTDL property they came from, for report paths.
FIELD_PROPERTIES = {"name": "ceterms:name", "description": "ceterms:description", "alternate_names": "ceterms:alternateName",
                    "url": "ceterms:subjectWebpage", "language": "ceterms:inLanguage", "keywords": "ceterms:keyword",
                    "cost.amount": "ceterms:estimatedCost[0].ceterms:price",
                    "cost.currency": "ceterms:estimatedCost[0].ceterms:currency",
                    "cost.note": "ceterms:estimatedCost[0].ceterms:description",
                    "duration.value": "ceterms:estimatedDuration[0]", "duration.unit": "ceterms:estimatedDuration[0]",
                    "credential_type": "@type", "lifecycle": "ceterms:credentialStatusType",
                    "cip_codes": "ceterms:instructionalProgramType", "occupations": "ceterms:occupationType",
                    "sectors": "ceterms:industryType",
                    "status": ""}  # publishing: the message names what is missing; the path is the record


def _ctdl_path(field: str) -> str:
    return FIELD_PROPERTIES.get(field, field)


def text_report(report: Report) -> str:
    """The report as lines a person reads: one per record, then its problems, then the summary."""
    lines = []
    for r in report.rows():
        lines.append(f"{r['status']:<9} {r['ctid'] or '-':<39} {('#' + str(r['id'])) if r['id'] else '':<7} {r['source']}")
        for p in r["problems"]:
            lines.append(f"    {p['level']}: {p['path']}: {p['reason']}")
    s = report["summary"]
    prefix = "dry run, nothing saved: " if report.get("dry_run") else ""
    lines.append(f"{prefix}{s['created']} created, {s['updated']} updated, {s['unchanged']} unchanged, {s['failed']} failed")
    return "\n".join(lines)


def import_upload(session: Session, org: Organization, filename: str, content: bytes, *, dry_run: bool = False,
                  publish: bool = False, suggest: Suggester | None = None,
                  progress: Callable[[int], None] | None = None) -> Report:
    """An uploaded file (the web page's, or an import job's), read with the CLI's rules: JSON, or
    JSON lines when the name ends in .jsonl/.ndjson, at most 10 MB. Rolls back when `dry_run`;
    otherwise the caller commits."""
    from catalog.ctdl.sources import MAX_FILE_BYTES, read_text

    if len(content) > MAX_FILE_BYTES:
        incoming = [Incoming(filename, error=f"the file is {len(content) / 1048576:.1f} MB; the limit is "
                                             f"{MAX_FILE_BYTES // 1048576} MB")]
    else:
        try:
            incoming = read_text(content.decode("utf-8-sig"), filename,
                                 lines=filename.lower().endswith((".jsonl", ".ndjson")))
        except UnicodeDecodeError as exc:
            incoming = [Incoming(filename, error=f"not UTF-8 text (byte {exc.start})")]
    report = run_import(session, org, incoming, dry_run=dry_run, publish=publish, suggest=suggest, progress=progress)
    if dry_run:
        session.rollback()
    return report
