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
- A record that fails leaves nothing behind and stops nothing else. `dry_run` rolls every batch
  back and reports what would have happened.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.authoring import bulk, service
from catalog.authoring import validation as v
from catalog.authoring.snapshot import section_snapshot
from catalog.ctdl import reading
from catalog.ctdl.frameworks import CANDIDATES
from catalog.ctdl.reading import ALIGNMENTS, C, as_list, text_of
from catalog.ctdl.sources import Incoming
from catalog.ctdl.types import compact_type, stored_type
from catalog.imports import pipeline
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
        self.seen: dict[str, str] = {}
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
        if plan.ctid and plan.ctid in self.seen:
            plan.problem(f"{item.path}.ceterms:ctid", f"the same CTID came earlier in this import "
                         f"({self.seen[plan.ctid]}); this later copy wins", "warning")
        if plan.failed:
            return _failed(item, plan.problems, plan.ctid)
        self.seen[plan.ctid] = item.where
        return pipeline.Pending(plan.ctid, _Record(item, plan))

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
            levels = section_snapshot(current, "skills")
            kept = {s["skill_id"]: s for s in levels["items"]}
            saves.append({"skills": {"custom_levels": levels["custom_levels"],
                                     "items": [kept.get(code) or {"skill_id": code} for code in plan.skills]}})
        document = {"record": record.incoming.record, "nodes": record.incoming.nodes, "mapped": plan.mapped}
        original = originals.get(credential.id) if credential is not None else None

        def keep_original(saved: Credential) -> None:
            """The record as received, for export to merge back (lossless)."""
            if original is None:
                self.session.add(CtdlOriginal(credential_id=saved.id, document=document))
            elif original.document != document:
                original.document = document
                record.original_changed = True

        return bulk.Change(org_id=self.org_id, credential=credential, saves=saves,
                           columns={"ctid": plan.ctid} if created else {}, publish=self.publish, must_publish=True,
                           after_write=keep_original)

    def finish(self, pending: pipeline.Pending, change: bulk.Change | None, error: Exception | None = None) -> dict:
        record: _Record = pending.item
        item, plan = record.incoming, record.plan
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
               progress: Callable[[int], None] | None = None, batch_size: int = 200, bulk_writes: bool = True) -> dict:
    """Import every record through the shared pipeline (catalog.imports.pipeline.run_batches):
    committed batch by batch, or on a dry run rolled back. `progress(n)` is called as records are
    done, as the shared import jobs expect. `bulk_writes=False` saves one record at a time
    through the ordinary service calls (the reference the benchmark compares with)."""
    organization = {"id": org.id, "name": org.name}
    options = pipeline.ImportOptions(dry_run=dry_run, publish=publish, batch_size=batch_size, bulk=bulk_writes)
    summary = pipeline.empty_summary()
    records: list[dict] = []
    for entry in pipeline.run_batches(session, CtdlSource(session, org, publish, suggest), incoming, options, progress):
        summary[entry["status"]] += 1
        records.append(entry)
    return {"organization": organization, "dry_run": dry_run, "summary": summary, "records": records}


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
