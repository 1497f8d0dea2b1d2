"""Importing CTDL credential records: map, validate, upsert through the authoring service, report.

The shape is the shared import pipeline's (records in, one report entry per record out, every
write through catalog.authoring.service so revisions, history, the outbox and the index follow):

    read (sources.py) -> map (map_record, pure but for code lookups) -> upsert (one savepoint
    per record) -> report {"summary": {created, updated, unchanged, failed}, "records": [...]}

- Idempotent: a record is matched by its CTID, in either letter case; importing it again updates
  that credential (or leaves it unchanged) and never creates a second one.
- Lossless: the record as received, the nodes of its graph and which list items were mapped are
  kept in `ctdl_originals`; export merges back whatever we do not model (export.merge_original).
- Codes are normalised to our schemes (frameworks.py); a code that maps to nothing is reported,
  and a name without a code is matched with autocomplete and reported as a suggestion only.
- A record that fails leaves nothing behind (its savepoint rolls back) and stops nothing else.
  `dry_run` rolls everything back at the end and reports what would have happened.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.authoring import service
from catalog.authoring import validation as v
from catalog.authoring.snapshot import section_snapshot
from catalog.ctdl import reading
from catalog.ctdl.frameworks import CANDIDATES
from catalog.ctdl.reading import ALIGNMENTS, C, as_list, text_of
from catalog.ctdl.sources import Incoming
from catalog.ctdl.types import compact_type, stored_type
from store.ctids import normalise_ctid
from store.models import Credential, CtdlOriginal, Organization, Status

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
    plan = Plan(ctid=normalise_ctid(raw_ctid), details=reading.read_details(record))
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

    for prop in (C + "requires",):
        for i, profile in enumerate(as_list(record.get(prop))):
            if not isinstance(profile, dict):
                continue
            codes = reading.competency_codes(profile)
            if codes is None:
                continue
            known = _known(session, "skills", codes)
            if set(codes) <= known:
                plan.skills.extend(c for c in codes if c not in plan.skills)
                plan.mapped.setdefault(prop, []).append(i)
            else:
                plan.problem(f"{base}.{prop}[{i}]", "competencies not in our skills vocabulary ("
                             + ", ".join(sorted(set(codes) - known))[:200] + "); kept as written", "warning")
    return plan


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


# --- upserting ------------------------------------------------------------------------------------


def find_by_ctid(session: Session, ctid: str) -> Credential | None:
    """CTIDs are stored lower case (minted so, and imports normalise), so the unique index answers."""
    return session.scalar(select(Credential).where(Credential.ctid == ctid.lower()))


def _state(session: Session, credential: Credential) -> tuple:
    original = session.get(CtdlOriginal, credential.id)
    return credential.revision, credential.status, original.document if original else None


def apply_plan(session: Session, org: Organization, incoming: Incoming, plan: Plan, publish: bool) -> tuple[str, int]:
    """Create or update the credential; returns (status, id). Raises ValidationError & co."""
    credential = find_by_ctid(session, plan.ctid)
    if credential is not None and credential.org_id != org.id:
        raise v.ValidationError({"ceterms:ctid": f"{plan.ctid} is a credential of another organization "
                                                 f"({credential.organization.name}); it cannot be imported into {org.name}"})
    if credential is not None and credential.status == Status.archived.value:
        raise v.ValidationError({"ceterms:ctid": f"{plan.ctid} is archived here; unarchive it before importing it again"})
    created = credential is None
    before = None if created else _state(session, credential)
    if created:
        credential = service.create_credential(session, None, org.id, plan.details)
        credential.ctid = plan.ctid
    else:
        details = {**section_snapshot(credential, "details"), **plan.details}
        service.save_section(session, None, credential, "details", details)
    # A new credential has no links yet: empty sections need no save (and no queries).
    if plan.occupations or not created:
        service.save_section(session, None, credential, "occupations", plan.occupations)
    if plan.sectors or not created:
        service.save_section(session, None, credential, "sectors", plan.sectors)
    if plan.skills or not created:
        kept = {s["skill_id"]: s for s in section_snapshot(credential, "skills")["items"]}
        items = [kept.get(code) or {"skill_id": code} for code in plan.skills]
        service.save_section(session, None, credential, "skills",
                             {"custom_levels": section_snapshot(credential, "skills")["custom_levels"], "items": items})
    document = {"record": incoming.record, "nodes": incoming.nodes, "mapped": plan.mapped}
    original = session.get(CtdlOriginal, credential.id)
    if original is None:
        session.add(CtdlOriginal(credential_id=credential.id, document=document))
    elif original.document != document:
        original.document = document
    if publish and credential.status != Status.published.value:
        service.set_status(session, None, credential, Status.published.value)
    session.flush()
    if created:
        return "created", credential.id
    return ("unchanged" if _state(session, credential) == before else "updated"), credential.id


def run_import(session: Session, org: Organization, incoming: Iterable[Incoming], *, dry_run: bool = False,
               publish: bool = False, suggest: Suggester | None = None,
               progress: Callable[[int], None] | None = None) -> dict:
    """Import every record; the caller commits (or not). Each record runs in its own savepoint.
    `progress(n)` is called after the n-th record, as the shared import jobs expect."""
    summary = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    records: list[dict] = []
    seen: dict[str, int] = {}
    for item in incoming:
        entry = {"ctid": None, "id": None, "status": "failed", "problems": [], "source": item.where}
        if item.error:
            entry["problems"] = [{"path": item.path or "$", "reason": item.error, "level": "error"}]
        else:
            entry.update(_import_one(session, org, item, publish, suggest, seen))
        summary[entry["status"]] += 1
        records.append(entry)
        if progress:
            progress(len(records))
    return {"organization": {"id": org.id, "name": org.name}, "dry_run": dry_run, "summary": summary,
            "records": records}


def _import_one(session: Session, org: Organization, item: Incoming, publish: bool, suggest, seen: dict) -> dict:
    savepoint = session.begin_nested()
    plan = Plan(normalise_ctid((item.record or {}).get(C + "ctid")), {})
    try:
        plan = map_record(session, item, suggest)
        if plan.ctid and plan.ctid in seen:
            plan.problem(f"{item.path}.ceterms:ctid", f"the same CTID came earlier in this import ({seen[plan.ctid]}); "
                         "this later copy wins", "warning")
        if plan.failed:
            savepoint.rollback()
            return {"ctid": plan.ctid, "status": "failed", "problems": plan.problems}
        status, credential_id = apply_plan(session, org, item, plan, publish)
        savepoint.commit()
        seen[plan.ctid] = item.where
        return {"ctid": plan.ctid, "status": status, "id": credential_id, "problems": plan.problems}
    except v.ValidationError as exc:
        savepoint.rollback()
        problems = [{"path": ".".join(filter(None, [item.path or "$", _ctdl_path(name)])), "reason": message,
                     "level": "error"} for name, message in exc.errors.items()]
        return {"ctid": plan.ctid, "status": "failed", "problems": [*plan.problems, *problems]}
    except Exception as exc:  # noqa: BLE001 - one bad record must never stop the others
        savepoint.rollback()
        log.exception("CTDL import of %s failed", item.where)
        return {"ctid": plan.ctid, "status": "failed", "problems": [
            *plan.problems, {"path": item.path or "$", "reason": f"could not be saved: {type(exc).__name__}: {exc}"[:500],
                             "level": "error"}]}


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


def text_report(report: dict) -> str:
    """The report as lines a person reads: one per record, then its problems, then the summary."""
    lines = []
    for r in report["records"]:
        lines.append(f"{r['status']:<9} {r['ctid'] or '-':<39} {('#' + str(r['id'])) if r['id'] else '':<7} {r['source']}")
        for p in r["problems"]:
            lines.append(f"    {p['level']}: {p['path']}: {p['reason']}")
    s = report["summary"]
    prefix = "dry run, nothing saved: " if report.get("dry_run") else ""
    lines.append(f"{prefix}{s['created']} created, {s['updated']} updated, {s['unchanged']} unchanged, {s['failed']} failed")
    return "\n".join(lines)


def import_upload(session: Session, org: Organization, filename: str, content: bytes, *, dry_run: bool = False,
                  publish: bool = False, suggest: Suggester | None = None,
                  progress: Callable[[int], None] | None = None) -> dict:
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
