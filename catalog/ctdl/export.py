"""Credentials and organizations as CTDL JSON-LD records: pure functions, no database.

A credential record is a Registry-style envelope: `@context`, an `@id` for the graph, and an
`@graph` whose first node is the credential and whose other nodes are the `_:` blank nodes it
points at (external related credentials, learning opportunities for its education programs,
providers named only by text). Blank-node ids are UUIDs derived from the credential's CTID and
what they describe, so exporting twice gives the same record.

What is never exported: drafts and archived credentials (callers pass published ones only;
relations to anything else are left out), contributor notes, people.

A credential imported from CTDL carries its original record (`ExportContext.originals`). Export
merges it back: a property we model is given back as the source wrote it while it still says what
the credential says (reading.unchanged_properties), else ours; alignments and condition profiles
that import could not map are appended; properties we do not model, and the other nodes of the
source graph, are copied. So nothing the source said is dropped, and import -> export is stable.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

from catalog.ctdl import reading
from catalog.ctdl.frameworks import alignment, lang_map, language_tag
# The Registry requires a cost profile's description: DEFAULT_COST_NOTE stands in when the editor
# wrote none, and import reads it back as no note.
from catalog.ctdl.reading import C, DEFAULT_COST_NOTE, DELIVERY_OUT, STATUS_OUT, iso_duration
from catalog.ctdl.types import CTDL_TYPES, UNTYPED
from store.facts import CREDENTIAL_TYPES

CONTEXT_URL = "https://credreg.net/ctdl/schema/context/json"

QA_KIND = "verifier"


@dataclass
class ExportContext:
    base_uri: str
    # vocabulary -> code -> label, for the codes the exported credentials name
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    # organization id -> SimpleNamespace(ctid, name, kinds, website): owners and program providers
    organizations: dict[int, SimpleNamespace] = field(default_factory=dict)
    # credential id -> CTID, for published relation targets only
    published_ctids: dict[int, str] = field(default_factory=dict)
    # credential id -> {"record": ..., "nodes": [...]} kept by an import
    originals: dict[int, dict] = field(default_factory=dict)

    def uri(self, ctid: str) -> str:
        return self.base_uri.rstrip("/") + "/" + ctid

    def graph_uri(self, ctid: str) -> str:
        base = self.base_uri.rstrip("/")
        return (base[: -len("/resources")] + "/graph/" if base.endswith("/resources") else base + "/graph/") + ctid


def _blank(ctid: str, *parts) -> str:
    """`_:` and the UUID 5 (URL namespace) of the CTID and parts. Built from the SHA-1 directly:
    uuid.uuid5 gives the same string, but building UUID objects was a tenth of the export's time."""
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + "/".join([ctid, *map(str, parts)]).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"_:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def _ctid(row) -> str:
    return getattr(row, "ce_ctid", None) or row.ctid


def _concept(vocabulary: str, ctx: ExportContext, code: str, language: str) -> dict:
    return alignment(vocabulary, code, ctx.labels.get(vocabulary, {}).get(code, code), language)


def _vocabulary_node(value: str, framework: str, framework_name: str, name: str, language: str) -> dict:
    return {"@type": "ceterms:CredentialAlignmentObject", "ceterms:framework": framework,
            "ceterms:frameworkName": lang_map(framework_name, language), "ceterms:targetNode": value,
            "ceterms:targetNodeName": lang_map(name, language)}


def delivery_alignment(mode: str, language: str) -> dict:
    from store.facts import DELIVERY_MODES

    return _vocabulary_node(DELIVERY_OUT[mode], "https://credreg.net/ctdl/terms/Delivery", "Delivery Type",
                            DELIVERY_MODES[mode], language)


def status_alignment(lifecycle: str, language: str) -> dict:
    return _vocabulary_node(STATUS_OUT.get(lifecycle, STATUS_OUT["active"]),
                            "https://credreg.net/ctdl/terms/CredentialStatus", "CredentialStatus",
                            "Deprecated" if lifecycle == "deprecated" else "Active", language)


def cost_profile(amount, currency: str, note: str, details_url: str, language: str) -> dict:
    profile = {"@type": "ceterms:CostProfile",
               "ceterms:description": lang_map(note or DEFAULT_COST_NOTE, language),
               "ceterms:currency": currency or "USD"}
    if amount is not None:
        profile["ceterms:price"] = float(amount)
    if details_url:
        profile["ceterms:costDetails"] = details_url
    return profile


def duration_profile(value: int, unit: str) -> dict:
    return {"@type": "ceterms:DurationProfile", "ceterms:exactDuration": iso_duration(value, unit)}


def details_fields(c) -> dict:
    """The stored details, keyed as reading.DETAIL_PROPERTIES names them."""
    return {"name": c.name or "", "description": c.description or "", "alternate_names": list(c.alternate_names or []),
            "credential_type": c.credential_type or "", "url": c.url or "", "language": c.language or "en",
            "keywords": list(c.keywords or []), "lifecycle": c.lifecycle or "active", "cost_amount": c.cost_amount,
            "cost_currency": c.cost_currency or "USD", "cost_note": c.cost_note or "",
            "duration_value": c.duration_value, "duration_unit": c.duration_unit or "",
            "delivery_mode": c.delivery_mode or ""}


def build_credential_record(c, ctx: ExportContext) -> dict:
    """The CTDL record of one published credential (a store.models.Credential or an
    indexer.sources.load_credentials view)."""
    ctid = _ctid(c)
    language = c.language or "en"
    owner = ctx.organizations.get(c.org_id)
    node: dict = {"@type": CTDL_TYPES.get(c.credential_type or "", UNTYPED), "@id": ctx.uri(ctid), "ceterms:ctid": ctid,
                  "ceterms:name": lang_map(c.name, language)}
    if c.description:
        node["ceterms:description"] = lang_map(c.description, language)
    if c.alternate_names:
        node["ceterms:alternateName"] = {language_tag(language): list(c.alternate_names)}
    node["ceterms:inLanguage"] = [language_tag(language)]
    # The Registry requires a subject webpage; without the issuer's own page, the record's address.
    node["ceterms:subjectWebpage"] = c.url or ctx.uri(ctid)
    if owner is not None:
        node["ceterms:ownedBy"] = [ctx.uri(owner.ctid)]
        node["ceterms:offeredBy"] = [ctx.uri(owner.ctid)]
    node["ceterms:credentialStatusType"] = status_alignment(c.lifecycle, language)
    if c.keywords:
        node["ceterms:keyword"] = {language_tag(language): list(c.keywords)}
    for prop, vocabulary, codes in ((C + "occupationType", "occupations", [o.code for o in c.occupations]),
                                    (C + "industryType", "sectors", [s.code for s in c.sectors]),
                                    (C + "instructionalProgramType", "programs", list(c.cip_codes or []))):
        if codes:
            node[prop] = [_concept(vocabulary, ctx, code, language) for code in codes]
    if c.cost_amount is not None or c.cost_note or (c.cost_currency or "USD") != "USD":
        node["ceterms:estimatedCost"] = [cost_profile(c.cost_amount, c.cost_currency, c.cost_note, c.url, language)]
    if c.duration_value and c.duration_unit:
        node["ceterms:estimatedDuration"] = [duration_profile(c.duration_value, c.duration_unit)]
    if c.delivery_mode:
        node["ceterms:learningDeliveryType"] = [delivery_alignment(c.delivery_mode, language)]

    extra_nodes: list[dict] = []
    conditions = _conditions(c, ctx, ctid, language, extra_nodes)
    for prop, profiles in conditions.items():
        if profiles:
            node[prop] = profiles
    original = ctx.originals.get(c.id)
    if original:
        node, extra_nodes = merge_original(node, extra_nodes, original, details_fields(c))
    return {"@context": CONTEXT_URL, "@id": ctx.graph_uri(ctid), "@graph": [node, *extra_nodes]}


def _conditions(c, ctx: ExportContext, ctid: str, language: str, extra_nodes: list[dict]) -> dict[str, list]:
    requires, recommends, preparation = [], [], []
    for kind, profiles in (("required", requires), ("related", recommends)):
        targets = []
        for r in (r for r in c.relations if r.kind == kind):
            if r.target_id is not None:
                if r.target_id in ctx.published_ctids:  # drafts and archived targets stay private
                    targets.append(ctx.uri(ctx.published_ctids[r.target_id]))
                continue
            external = external_credential_node(ctid, kind, r.external_cip, r.external_type, r.external_name, ctx,
                                                language)
            extra_nodes.append(external)
            targets.append(external["@id"])
        if targets:
            profiles.append(relation_profile(kind, targets, language))
    for min_level, acquired_level, codes in skill_groups(c.skills):
        requires.append(skills_profile([_concept("skills", ctx, code, language) for code in codes],
                                       min_level, acquired_level, language))
    programs = [_program_node(c, ctx, ctid, p, language, extra_nodes) for p in c.programs]
    if programs:
        preparation.append(programs_profile(programs, language))
    return {C + "requires": requires, C + "recommends": recommends, C + "preparationFrom": preparation}


# The descriptions of the condition profiles export writes; import maps a profile back only when
# it says exactly this (anything else it says would be lost), see imports._map_relations.
RELATION_PROFILES = {"required": (C + "requires", "Credentials required before this one"),
                     "related": (C + "recommends", "Related credentials")}
SKILLS_TEXT = "Competencies this credential shows"
PROGRAMS_TEXT = "Education programs that prepare for it"


def relation_profile(kind: str, targets: list[str], language: str) -> dict:
    return {"@type": "ceterms:ConditionProfile", "ceterms:description": lang_map(RELATION_PROFILES[kind][1], language),
            "ceterms:targetCredential": targets}


def external_credential_node(ctid: str, kind: str, cip: str, credential_type: str, name: str, ctx: ExportContext,
                             language: str) -> dict:
    """A credential outside the catalog, as a `_:` node of the record's graph: its type, its name
    (the type's label when it has none) and its CIP code."""
    shown = name or CREDENTIAL_TYPES.get(credential_type, "Credential")
    # Import reads a name that is the type's label back as no name (there is a CIP code): the same node.
    named = "" if cip and shown == CREDENTIAL_TYPES.get(credential_type) else name
    node = {"@id": _blank(ctid, "relation", kind, cip, credential_type, named),
            "@type": CTDL_TYPES.get(credential_type, UNTYPED), "ceterms:name": lang_map(shown, language)}
    if cip:
        node["ceterms:instructionalProgramType"] = [_concept("programs", ctx, cip, language)]
    return node


def skill_groups(skills) -> list[tuple[str, str, list[str]]]:
    """Consecutive skills with the same (minimum, acquired) levels, as (min, acquired, codes): one
    condition profile each, so the skills keep their order."""
    groups: list[tuple[str, str, list[str]]] = []
    for s in skills:
        levels = (s.min_level or "", s.acquired_level or "")
        if groups and groups[-1][:2] == levels:
            groups[-1][2].append(s.skill_code)
        else:
            groups.append((*levels, [s.skill_code]))
    return groups


def skills_profile(alignments: list[dict], min_level: str, acquired_level: str, language: str) -> dict:
    """Competencies as a `ceterms:requires` condition profile. Levels, when set, are two texts of
    the profile: `ceterms:experience` (the experience a candidate needs first: our minimum level)
    and `ceterms:name` (the level the credential shows: our acquired level), each exactly a level
    name of the credential's scale. A profile without them is a skill list without levels."""
    profile: dict = {"@type": "ceterms:ConditionProfile", "ceterms:description": lang_map(SKILLS_TEXT, language)}
    if acquired_level:
        profile["ceterms:name"] = lang_map(acquired_level, language)
    if min_level:
        profile["ceterms:experience"] = lang_map(min_level, language)
    profile["ceterms:targetCompetency"] = alignments
    return profile


def programs_profile(targets: list[str], language: str) -> dict:
    return {"@type": "ceterms:ConditionProfile", "ceterms:description": lang_map(PROGRAMS_TEXT, language),
            "ceterms:targetLearningOpportunity": targets}


def _program_node(c, ctx: ExportContext, ctid: str, p, language: str, extra_nodes: list[dict]) -> str:
    blank = _blank(ctid, "program", p.id)
    node = program_node(blank, ctid, p, ctx, language)
    provider = ctx.organizations.get(p.provider_org_id) if p.provider_org_id else None
    if provider is None and p.provider_name:
        org_blank = node["ceterms:offeredBy"][0]
        if not any(n["@id"] == org_blank for n in extra_nodes):
            extra_nodes.append(provider_node(org_blank, p.provider_name, language))
    extra_nodes.append(node)
    return blank


def provider_node(blank: str, name: str, language: str) -> dict:
    """A program's provider known only by its name."""
    return {"@id": blank, "@type": "ceterms:CredentialOrganization", "ceterms:name": lang_map(name, language)}


def program_node(blank: str, ctid: str, p, ctx: ExportContext, language: str) -> dict:
    """An education program as a `ceterms:LearningOpportunityProfile` node; its provider is the
    organization's URI, or a `_:` organization node named after `p.provider_name`."""
    node = {"@id": blank, "@type": "ceterms:LearningOpportunityProfile", "ceterms:name": lang_map(p.name, language)}
    if p.url:
        node["ceterms:subjectWebpage"] = p.url
    provider = ctx.organizations.get(p.provider_org_id) if p.provider_org_id else None
    if provider is not None:
        node["ceterms:offeredBy"] = [ctx.uri(provider.ctid)]
    elif p.provider_name:
        node["ceterms:offeredBy"] = [_blank(ctid, "provider", p.provider_name)]
    if p.delivery_mode:
        node["ceterms:learningDeliveryType"] = [delivery_alignment(p.delivery_mode, language)]
    if p.duration_value and p.duration_unit:
        node["ceterms:estimatedDuration"] = [duration_profile(p.duration_value, p.duration_unit)]
    if p.cost_amount is not None:
        node["ceterms:estimatedCost"] = [cost_profile(p.cost_amount, "USD", "", p.url, language)]
    if p.cip_code:
        node["ceterms:instructionalProgramType"] = [_concept("programs", ctx, p.cip_code, language)]
    if p.location:
        node["ceterms:availableAt"] = [{"@type": "ceterms:Place", "ceterms:name": lang_map(p.location, language)}]
    return node


# --- merging an imported original back ------------------------------------------------------------

# Ours always: identity, and who owns and offers it here.
OURS = {"@id", "@type", C + "ctid", C + "ownedBy", C + "offeredBy"}
# Lists whose items import may have mapped: ours, then the source's items that were not mapped.
MAPPED_LISTS = (*reading.ALIGNMENTS, C + "requires", C + "recommends", C + "preparationFrom")
# The key of `mapped` that lists the graph nodes (indices into the kept nodes) import mapped.
GRAPH_NODES = "@graph"


def merge_original(node: dict, extra_nodes: list[dict], original: dict, current: dict) -> tuple[dict, list[dict]]:
    source = original.get("record") or {}
    merged = dict(node)
    keep = reading.unchanged_properties(source, current)
    for prop, value in source.items():
        if prop in OURS and not (prop == "@type" and prop in keep):
            continue
        if prop in reading.DETAIL_PROPERTIES:
            if prop in keep:
                merged[prop] = value
            continue
        if prop in MAPPED_LISTS:
            ours = merged.get(prop, [])
            mapped = set((original.get("mapped") or {}).get(prop, []))
            carried = [item for i, item in enumerate(reading.as_list(value)) if i not in mapped and item not in ours]
            if ours or carried:
                merged[prop] = [*ours, *carried]
            continue
        merged[prop] = value
    seen = {n.get("@id") for n in extra_nodes}
    # Nodes import mapped (programs, their providers, external credentials) are ours now.
    consumed = set((original.get("mapped") or {}).get(GRAPH_NODES, []))
    carried_nodes = [n for i, n in enumerate(original.get("nodes") or [])
                     if isinstance(n, dict) and n.get("@id") not in seen and i not in consumed]
    return merged, [*extra_nodes, *carried_nodes]


# --- organizations --------------------------------------------------------------------------------


def build_organization_record(org, ctx: ExportContext) -> dict:
    kind = "ceterms:QACredentialOrganization" if QA_KIND in (org.kinds or []) else "ceterms:CredentialOrganization"
    node = {"@type": kind, "@id": ctx.uri(org.ctid), "ceterms:ctid": org.ctid, "ceterms:name": lang_map(org.name, "en")}
    if org.website:
        node["ceterms:subjectWebpage"] = org.website
    if getattr(org, "location", ""):
        node["ceterms:address"] = [{"@type": "ceterms:Place", "ceterms:name": lang_map(org.location, "en")}]
    return {"@context": CONTEXT_URL, "@id": ctx.graph_uri(org.ctid), "@graph": [node]}
